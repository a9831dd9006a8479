/**
 * Cost-aware matching policy (pure): which ready task goes to which idle device.
 *
 * One task per idle device per call, as matchTasks. Each task goes only where it fits
 * (fit.ts: memory, backend, avoid, prefer; optionally not far dearer than the fleet's best
 * for it, maxCostRatio). Lexicographically, the call then
 *   1. serves as many tasks as possible, choosing which by queue order (rank.ts/queue.ts:
 *      priority, fair share between jobs, age) when not all can be served, within each job's
 *      and owner's quota of concurrent leases (served.ts);
 *   2. leaves as few tasks late as possible: a task with a deadline goes to a device that
 *      meets it unless no idle device can, and then to its cheapest fit, marked late;
 *   3. costs least in total (pricing.ts: expected seconds x class price; blobs a device
 *      already holds cost no transfer) (place.ts).
 * Exact when at most `window` tasks are served (default 64, so every call with up to 64
 * idle devices). Bigger calls: windows of 64 plus improvement passes (place.ts). The queue
 * is read lazily from its head (queue.ts), and only the first `maxTasks` tasks that fit an
 * idle device are considered (default 4 x idle devices, at least 64): the rest could only
 * be served if those fit nowhere. So a dispatch for a few idle devices costs about
 * O(queue) cheap steps, not a sort of the queue; with a ReadyQueue kept between calls
 * (ready-queue.ts), only the head is read at all. Explanations are built only when read.
 */
import { explain as explainOne, scan, type Explanation, type Scan } from './explain'
import type { Assignment, DeviceSlot, TaskNeed } from './match'
import { placeServed } from './place'
import type { PriceTable } from './pricing'
import { makeProblem } from './problem'
import { rankedQueue } from './queue'
import { ReadyQueue } from './ready-queue'
import { scratch } from './scratch'
import { servedTasks } from './served'

export type { Explanation } from './explain'

export type AssignOptions = {
  /** Epoch ms, for deadlines. */
  now: number
  prices: PriceTable
  /** Every connected device, idle or busy (default: the idle ones). */
  fleet?: string[]
  /** Leased tasks per job id (or owner, for tasks without a job), for fair share and job quotas. */
  running?: Record<string, number>
  /** Leased tasks per owner, for owner quotas. */
  runningByOwner?: Record<string, number>
  /** Most concurrent leases per job id and per owner; a task over either waits (its queue place is kept). */
  quotas?: { jobs?: Record<string, number>; owners?: Record<string, number> }
  /** Most tasks solved exactly together (default 64). */
  window?: number
  /** Most queued tasks that fit an idle device looked at (default max(4 x devices, 64)). */
  maxTasks?: number
  /** Most queued tasks read in all (default max(16 x maxTasks, 4096)). */
  maxScan?: number
  /**
   * Keep a task off an idle device that would cost more than this times its cheapest
   * fitting device in `fleetSlots` (busy or idle): it waits for a better one. Off by default.
   */
  maxCostRatio?: number
  /** Profiles of every connected device, for maxCostRatio (default: the idle ones). */
  fleetSlots?: DeviceSlot[]
}
export type AssignReturnType = {
  assignments: Assignment[]
  /** One per assignment, same order; computed on first read (O(idle devices) each; read after a
   * later assign call, they are rebuilt from the same task and device arrays, so do not mutate them). */
  readonly explanations: Explanation[]
  /** Why this task went where it went; undefined if it was not assigned. */
  explain(taskId: number): Explanation | undefined
}

const NONE: AssignReturnType = { assignments: [], explanations: [], explain: () => undefined }

/**
 * `ready` is the queue: an array (ranked afresh, O(queue)) or a ReadyQueue the caller keeps
 * between calls (only its head is read). Explanations are built lazily from the same tasks, so
 * read them before the queue changes.
 */
export function assign(ready: TaskNeed[] | ReadyQueue, devices: DeviceSlot[], opts: AssignOptions): AssignReturnType {
  const kept = ready instanceof ReadyQueue
  const tasks = kept ? ready.tasks : ready
  if ((kept ? ready.size : tasks.length) === 0 || devices.length === 0) return NONE
  const p = makeProblem(tasks, devices, opts)
  const queue = kept ? ready.ranked(opts.running) : rankedQueue(tasks, opts.running)
  const maxTasks = opts.maxTasks ?? Math.max(4 * devices.length, 64)
  const served = servedTasks(p, queue, { maxTasks, maxScan: opts.maxScan ?? Math.max(16 * maxTasks, 4096), quota: quotaOf(tasks, opts) })
  const m = placeServed(p, served, Math.max(1, opts.window ?? 64))
  const assignments: Assignment[] = []
  const at = new Map<number, [ti: number, dj: number]>()
  for (const ti of served) {
    const dj = m.deviceOf[ti]
    const ms = p.ms(ti, dj)
    at.set(tasks[ti].id, [ti, dj])
    assignments.push({ taskId: tasks[ti].id, deviceId: devices[dj].id, expectedMs: ms, cost: ms * p.pricePerMs[dj], late: ms > p.slack[ti] })
  }
  const cache = new Map<number, Explanation>()
  // One scan of the devices per class of alike tasks (explain.ts).
  let scans = new Map<string, Scan>()
  let q = p
  const explain = (taskId: number): Explanation | undefined => {
    const hit = at.get(taskId)
    if (hit === undefined) return undefined
    let e = cache.get(taskId)
    if (e) return e
    // A later call reused the scratch arrays: rebuild this call's view from the same inputs.
    if (q.generation !== scratch.generation) {
      q = makeProblem(tasks, devices, opts)
      scans = new Map()
    }
    const key = q.classKey(hit[0])
    let s = scans.get(key)
    if (!s) scans.set(key, (s = scan(q, hit[0])))
    cache.set(taskId, (e = explainOne(q, hit[0], hit[1], s)))
    return e
  }
  let all: Explanation[] | undefined
  return {
    assignments,
    get explanations() {
      return (all ??= assignments.map((a) => explain(a.taskId)!))
    },
    explain,
  }
}

/** Quota bookkeeping for one call: running leases plus tasks served so far. */
function quotaOf(tasks: TaskNeed[], opts: AssignOptions) {
  const jobs = opts.quotas?.jobs
  const owners = opts.quotas?.owners
  if (!jobs && !owners) return undefined
  const byJob = new Map<string, number>()
  const byOwner = new Map<string, number>()
  const jobOf = (t: TaskNeed) => (t.jobId !== undefined ? String(t.jobId) : undefined)
  const under = (cap: number | undefined, used: number) => cap === undefined || used < cap
  return {
    allows(ti: number) {
      const t = tasks[ti]
      const j = jobOf(t)
      if (jobs && j !== undefined && !under(jobs[j], byJob.get(j) ?? opts.running?.[j] ?? 0)) return false
      if (owners && t.owner !== undefined && !under(owners[t.owner], byOwner.get(t.owner) ?? opts.runningByOwner?.[t.owner] ?? 0)) return false
      return true
    },
    take(ti: number) {
      const t = tasks[ti]
      const j = jobOf(t)
      if (j !== undefined) byJob.set(j, (byJob.get(j) ?? opts.running?.[j] ?? 0) + 1)
      if (t.owner !== undefined) byOwner.set(t.owner, (byOwner.get(t.owner) ?? opts.runningByOwner?.[t.owner] ?? 0) + 1)
    },
  }
}
