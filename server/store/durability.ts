/**
 * Group commit: when a commit reaches the disk.
 *
 * With `NIMBLE_DB_SYNC=group` (the default) commits are not flushed one by one (SQLite
 * `synchronous=NORMAL` in WAL mode, PostgreSQL `synchronous_commit=off`). Flushing each one
 * cost an fsync of 1-5 ms on these machines, three or four per task (lease, result, verdict),
 * which held the coordinator under a hundred tasks a second. Neither database is ever left
 * corrupt this way; what power loss (not a process crash: those lose nothing) can take is the
 * last commits before the flush, and the work is redone: an unflushed result's task is leased
 * again once its lease expires, and its credit is written once, with the task.
 *
 * Whatever must not be taken waits for `durable()`: one flush (fsync of SQLite's WAL, or a
 * synchronous commit on PostgreSQL, which flushes every earlier commit too) shared by every
 * caller waiting at the time. Every mutating API request waits for it before it answers (a
 * job, dataset, key or account the owner was told exists does exist), and settlement before
 * it builds a Merkle root from credits (no credit paid on chain can vanish). A flush also runs
 * every `NIMBLE_DB_FLUSH_MS`, so power loss takes at most that much.
 *
 * `NIMBLE_DB_SYNC=each` flushes every commit (SQLite FULL, PostgreSQL on); `durable()` is then free.
 */
import fs from 'node:fs'
import { sql, type Kysely } from 'kysely'

export type SyncMode = 'group' | 'each'

export class Durability {
  private running: Promise<void> | null = null
  private next: Promise<void> | null = null
  private timer: NodeJS.Timeout | null = null
  /** Flushes done, for tests and metrics. */
  flushes = 0

  constructor(private readonly flush: (() => Promise<void>) | null) {}

  /** Resolves once every commit made before the call is on disk. */
  durable(): Promise<void> {
    if (!this.flush) return Promise.resolve()
    // A flush already under way may have started before the caller's commit: wait for the next.
    if (this.next) return this.next
    if (!this.running) return this.start()
    this.next = this.running.then(
      () => this.start(),
      () => this.start(),
    )
    return this.next
  }

  /** Flushes every `ms` (0: never) until stopped. */
  every(ms: number, onError: (e: unknown) => void): void {
    if (!this.flush || ms <= 0) return
    this.timer = setInterval(() => void this.durable().catch(onError), ms)
    this.timer.unref()
  }

  /** Stops the timer and flushes what is left. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.durable()
  }

  private start(): Promise<void> {
    this.next = null
    const p = this.flush!().finally(() => {
      this.flushes++
      if (this.running === p) this.running = null
    })
    this.running = p
    return p
  }
}

/** The flush for a store opened in `mode` (null: every commit is already flushed). */
export function storeFlush(db: Kysely<any>, opts: { mode: SyncMode; postgres: boolean; sqliteFile: string }): (() => Promise<void>) | null {
  if (opts.mode === 'each') return null
  if (opts.postgres) {
    // A commit with an xid and synchronous_commit on waits until the WAL is flushed up to it,
    // which covers every asynchronous commit before it.
    return async () => {
      await db.transaction().execute(async (trx) => {
        await sql`SET LOCAL synchronous_commit = on`.execute(trx)
        await sql`SELECT txid_current()`.execute(trx)
      })
    }
  }
  // SQLite appends commits to the -wal file; fsyncing it is what synchronous=FULL does at each commit.
  const wal = `${opts.sqliteFile}-wal`
  let fd: fs.promises.FileHandle | null = null
  return async () => {
    fd ??= await fs.promises.open(wal, 'r')
    await fd.sync()
  }
}
