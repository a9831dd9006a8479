/**
 * Straggler policy (pure): which running tasks deserve a spare copy, and on which idle device.
 *
 * A lease is a straggler once it has run `factor` times its expected time and at least
 * `minMs` (shards.ts straggler()). Without a progress report its remaining time is taken to
 * equal its elapsed time (it is overdue, so assume it is no more than half done); with one,
 * elapsed x (1 - p) / p. A spare is launched only when an idle device that fits the task
 * (fit.ts, never the straggling device itself) is expected to finish before that; at most
 * one spare per task and one task per idle device. The most overdue leases choose first,
 * each taking the idle device that would finish soonest (cheapest among equals).
 * The caller keeps whichever copy finishes first and cancels the other.
 */
import { fitRule, misfit } from './fit'
import type { DeviceSlot, TaskNeed } from './match'
import { DEFAULT_PRICES, expectedMs, taskCost, type PriceTable } from './pricing'
import { straggler } from './shards'

export type RunningLease = {
  taskId: number
  deviceId: string
  startedAt: number
  expectedMs: number
  /** A spare copy is already running (or done): no second one. */
  hasSpare: boolean
  /** Fraction done, if the device reports it (0 < p <= 1). */
  progress?: number
}
export type SpareOptions = {
  now: number
  /** Straggler after factor x expected time (default 2)... */
  factor?: number
  /** ...and at least this long (default 2,000 ms). */
  minMs?: number
  /** Every connected device, for the fit rules (default: the idle ones). */
  fleet?: string[]
  prices?: PriceTable
}
export type Spare = { taskId: number; deviceId: string; expectedMs: number; originalRemainingMs: number }

export function spares(leases: RunningLease[], idle: DeviceSlot[], taskOf: (taskId: number) => TaskNeed | undefined, o: SpareOptions): Spare[] {
  const factor = o.factor ?? 2
  const minMs = o.minMs ?? 2000
  const prices = o.prices ?? DEFAULT_PRICES
  const fleet = new Set(o.fleet ?? idle.map((d) => d.id))
  const late = leases
    .filter((l) => !l.hasSpare && straggler(l.expectedMs, l.startedAt, o.now, factor, minMs))
    .map((l) => {
      const elapsed = o.now - l.startedAt
      const p = l.progress
      const remaining = p !== undefined && p > 0 && p <= 1 ? (elapsed * (1 - p)) / p : elapsed
      return { l, remaining, overdue: elapsed / Math.max(1, l.expectedMs) }
    })
    .sort((a, b) => b.overdue - a.overdue || a.l.startedAt - b.l.startedAt || a.l.taskId - b.l.taskId)
  const used = new Set<string>()
  const out: Spare[] = []
  const seen = new Set<number>()
  for (const { l, remaining } of late) {
    if (seen.has(l.taskId)) continue
    seen.add(l.taskId)
    const task = taskOf(l.taskId)
    if (!task) continue
    // The straggling device must not take its own spare, whatever the task's avoid list says.
    const withAvoid = { ...task, avoid: [...(task.avoid ?? []), l.deviceId] }
    const rule = fitRule(withAvoid, fleet)
    let best: DeviceSlot | undefined
    let bestMs = Infinity
    let bestCost = Infinity
    for (const d of idle) {
      if (used.has(d.id) || d.id === l.deviceId || misfit(withAvoid, d, rule) !== null) continue
      const ms = expectedMs(task, d)
      const cost = taskCost(task, d, prices)
      if (ms < bestMs || (ms === bestMs && cost < bestCost)) {
        best = d
        bestMs = ms
        bestCost = cost
      }
    }
    if (!best || bestMs >= remaining) continue
    used.add(best.id)
    out.push({ taskId: l.taskId, deviceId: best.id, expectedMs: bestMs, originalRemainingMs: remaining })
  }
  return out
}
