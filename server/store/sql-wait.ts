/**
 * Diagnostics of the SQLite driver (NIMBLE_SQL_WAIT=<seconds>; store/sqlite-turns.ts), printed
 * to stderr every so many seconds: how busy the writer thread was; how long statements waited
 * for the mutex; how long answers took, split (from the threads' time stamps) into the time
 * before a thread took the message, in it (a write's includes waiting for its commit), and
 * before the main thread took the answer; and which transactions held the mutex longest, by
 * their first statement. Off unless set.
 */
import type { Worker } from 'node:worker_threads'

const at = () => performance.timeOrigin + performance.now()

export class SqlWait {
  private locks = { n: 0, ms: 0 }
  private answers = { n: 0, ms: 0, max: 0 }
  private holders = new Map<string, { n: number; ms: number }>()
  private legs: Record<string, { n: number; queued: number; ran: number; back: number }> = {}
  private sentAt = new Map<number, [number, string]>()

  constructor(writer: Worker, everyS: number) {
    let elu = writer.performance.eventLoopUtilization()
    setInterval(() => {
      const next = writer.performance.eventLoopUtilization()
      const busy = writer.performance.eventLoopUtilization(next, elu).utilization
      elu = next
      const { locks, answers } = this
      process.stderr.write(`sql wait: writer ${(busy * 100).toFixed(0)}% busy; ${locks.n} waited ${(locks.ms / Math.max(1, locks.n)).toFixed(1)} ms for the mutex; ${answers.n} answers took ${(answers.ms / Math.max(1, answers.n)).toFixed(1)} ms (max ${answers.max.toFixed(0)})\n`)
      for (const [k, h] of [...this.holders].sort((a, b) => b[1].ms - a[1].ms).slice(0, 6)) process.stderr.write(`  held ${h.ms.toFixed(0)} ms by ${h.n}× ${k}\n`)
      for (const [k, x] of Object.entries(this.legs)) process.stderr.write(`  ${k}: ${x.n}, ms each: ${(x.queued / x.n).toFixed(1)} before the thread took it, ${(x.ran / x.n).toFixed(1)} there, ${(x.back / x.n).toFixed(1)} before the main thread took the answer\n`)
      this.locks = { n: 0, ms: 0 }
      this.answers = { n: 0, ms: 0, max: 0 }
      this.holders.clear()
      this.legs = {}
    }, everyS * 1000).unref()
  }

  /** A wait for the mutex that began at `since` (performance.now()) ended. */
  locked(since: number): void {
    this.locks.n++
    this.locks.ms += performance.now() - since
  }

  /** The mutex, taken at `since`, was given back by a holder whose first statement was `sql`. */
  held(sql: string | undefined, since: number): void {
    const k = (sql ?? '(none)').slice(0, 100)
    const h = this.holders.get(k) ?? { n: 0, ms: 0 }
    h.n++
    h.ms += performance.now() - since
    this.holders.set(k, h)
  }

  sent(id: number, op: string): void {
    this.sentAt.set(id, [at(), op])
  }

  /** Request `id` was answered; `stamps`: when a thread started and ended it. */
  answered(id: number, stamps: [number, number] | undefined): void {
    const sent = this.sentAt.get(id)
    if (!sent) return
    this.sentAt.delete(id)
    const now = at()
    const took = now - sent[0]
    this.answers.n++
    this.answers.ms += took
    if (took > this.answers.max) this.answers.max = took
    if (!stamps) return
    const x = (this.legs[sent[1] === 'read' ? 'read' : 'other'] ??= { n: 0, queued: 0, ran: 0, back: 0 })
    x.n++
    x.queued += stamps[0] - sent[0]
    x.ran += stamps[1] - stamps[0]
    x.back += now - stamps[1]
  }
}
