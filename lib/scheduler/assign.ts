/**
 * Cost-aware matching policy (pure): which ready task goes to which idle device.
 *
 * One task per idle device per call, as matchTasks. Each task goes only where it fits
 * (fit.ts: memory, backend, avoid, prefer). Lexicographically, the call then
 *   1. serves as many tasks as possible, choosing which by queue order (rank.ts:
 *      priority, fair share between jobs, age) when not all can be served (served.ts);
 *   2. leaves as few tasks late as possible: a task with a deadline goes to a device that
 *      meets it unless no idle device can, and then to its cheapest fit, marked late;
 *   3. costs least in total (pricing.ts: expected seconds x class price) (place.ts).
 * Exact when at most `window` tasks are served (default 64, so every call with up to 64
 * idle devices). Bigger calls: windows of 64 plus improvement passes (place.ts), and only the
 * first `maxTasks` of the queue are looked at (default 4 x idle devices, the most the
 * dispatcher reads): the rest could only be served if the leading tasks fit nowhere.
 */
import { explain, type Explanation } from './explain'
import type { Assignment, DeviceSlot, TaskNeed } from './match'
import { placeServed } from './place'
import type { PriceTable } from './pricing'
import { makeProblem } from './problem'
import { rankTasks } from './rank'
import { servedTasks } from './served'

export type { Explanation } from './explain'

export type AssignOptions = {
  /** Epoch ms, for deadlines. */
  now: number
  prices: PriceTable
  /** Every connected device, idle or busy (default: the idle ones). */
  fleet?: string[]
  /** Leased tasks per job id (or owner), for fair share. */
  running?: Record<string, number>
  /** Most tasks solved exactly together (default 64). */
  window?: number
  /** Most queued tasks looked at (default max(4 x devices, 64)). */
  maxTasks?: number
}
export type AssignReturnType = { assignments: Assignment[]; explanations: Explanation[] }

export function assign(tasks: TaskNeed[], devices: DeviceSlot[], opts: AssignOptions): AssignReturnType {
  if (tasks.length === 0 || devices.length === 0) return { assignments: [], explanations: [] }
  const p = makeProblem(tasks, devices, opts)
  const order = rankTasks(tasks, opts.running)
  const served = servedTasks(p, order, opts.maxTasks ?? Math.max(4 * devices.length, 64))
  const m = placeServed(p, served, Math.max(1, opts.window ?? 64))
  const assignments: Assignment[] = []
  const explanations: Explanation[] = []
  for (const ti of served) {
    const e = explain(p, ti, m.deviceOf[ti])
    assignments.push({ taskId: e.taskId, deviceId: e.deviceId, expectedMs: e.expectedMs, cost: e.cost, late: e.late })
    explanations.push(e)
  }
  return { assignments, explanations }
}
