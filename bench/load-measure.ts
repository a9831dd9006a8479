/**
 * What bench:load measures of processes besides its tasks: CPU from /proc (per unit of work,
 * per process, and the rest of the machine), RSS and its trend over a soak, and with
 * NIMBLE_SQL_PROFILE PostgreSQL's costliest statements.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import pg from 'pg'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Clock ticks per second of /proc's CPU times. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** CPU seconds (user + system) process `pid` has used. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK
}

/**
 * CPU over a window: the coordinator's (per unit of work: a task, a round trip) and this
 * process's, the simulated devices (they share the machine's cores with the coordinator).
 */
export type Cpu = { coordinatorUsPerUnit: number; coordinatorCores: number; devicesCores: number; otherCores: number }
export function cpuWindow(pid: number) {
  const c0 = cpuSeconds(pid)
  const d0 = process.cpuUsage()
  const m0 = machineBusySeconds()
  const t0 = performance.now()
  return {
    end(units: number): Cpu {
      const s = (performance.now() - t0) / 1000
      const coordinator = cpuSeconds(pid) - c0
      const d = process.cpuUsage(d0)
      const devices = (d.user + d.system) / 1e6
      return { coordinatorUsPerUnit: (coordinator * 1e6) / Math.max(1, units), coordinatorCores: coordinator / s, devicesCores: devices / s, otherCores: Math.max(0, machineBusySeconds() - m0 - coordinator - devices) / s }
    },
  }
}

/**
 * CPU seconds the whole machine has spent on processes (all cores; /proc/stat's user, nice,
 * system) or lost to other guests of its host (steal). Interrupt time is left out: loopback
 * traffic's share of it belongs to no process.
 */
function machineBusySeconds(): number {
  const [user, nice, system, , , , , steal] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  return (user + nice + system + (steal || 0)) / CLK_TCK
}

/** Waits until processes other than the coordinator and this one use under a fifth of a core (over a second), or `maxMs`; returns the wait in ms. */
export async function untilQuiet(maxMs: number, pid: number): Promise<number> {
  const t0 = performance.now()
  while (performance.now() - t0 < maxMs) {
    const w = cpuWindow(pid)
    await sleep(1000)
    if (w.end(1).otherCores < 0.2) break
  }
  return performance.now() - t0
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : NaN
}

/** RSS samples taken every `everyS` seconds: first, max, last and the trend (MiB per minute), overall and over the second half. */
export function soakSummary(samples: number[], everyS: number) {
  const slope = (ys: number[]) => {
    const n = ys.length
    const xs = ys.map((_, i) => (i * everyS) / 60)
    const mx = xs.reduce((a, b) => a + b, 0) / n
    const my = ys.reduce((a, b) => a + b, 0) / n
    const num = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0)
    const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0)
    return den === 0 ? 0 : num / den
  }
  return { first: samples[0], max: Math.max(...samples), last: samples[samples.length - 1], slopePerMin: slope(samples), secondHalfSlopePerMin: slope(samples.slice(Math.floor(samples.length / 2))) }
}

/** NIMBLE_SQL_PROFILE on PostgreSQL: the statements that took the server's time, costliest first. */
export async function pgStatements(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
    const r = await c.query<{ calls: string; ms: number; us_row: number; rows: string; q: string }>(
      `SELECT calls, round(total_exec_time) AS ms, round(total_exec_time * 1000 / greatest(rows, 1)) AS us_row, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS q
         FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15`,
    )
    return ['PostgreSQL statements by time (ms in all, calls, rows, µs a row):', ...r.rows.map((s) => `${String(s.ms).padStart(7)} ms ${String(s.calls).padStart(6)}× ${String(s.rows).padStart(7)} rows ${String(s.us_row).padStart(6)} µs/row  ${s.q}`)].join('\n')
  } finally {
    await c.end()
  }
}
