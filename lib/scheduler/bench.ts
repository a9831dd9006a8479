/**
 * Decision-time micro-benchmarks for assign (pure but for the clock, which comes in).
 *
 * benchDispatch, the steady state the coordinator lives in: a fleet of `devices` connected
 * devices, all busy but a few; each dispatch is one to four devices finishing (or connecting)
 * and asking for work over a queue of `tasks` ready tasks of several jobs (deadlines,
 * priorities, memory/backend rules). Assigned tasks leave the queue and new ones arrive,
 * devices that got nothing stay idle for the next dispatch. Reports p50/p99 per dispatch.
 * With `kept`, the queue lives in a ReadyQueue between calls, as a coordinator keeping its
 * ready tasks would hold it; without, assign ranks the whole array on every call.
 *
 * benchAssign, the bulk case: all `devices` idle at once over the same queue, per call.
 */
import { assign } from './assign'
import type { DeviceSlot, TaskNeed } from './match'
import { DEFAULT_PRICES } from './pricing'
import { ReadyQueue } from './ready-queue'
import { mulberry32, randomDevice, randomTask } from './random'

export type BenchOptions = {
  tasks?: number
  devices?: number
  calls?: number
  warmup?: number
  seed?: number
  window?: number
  /** benchDispatch: keep the queue in a ReadyQueue between calls (only its head is read) instead of passing the array. */
  kept?: boolean
}
export type BenchResult = { calls: number; p50Ms: number; p99Ms: number; maxMs: number; meanAssigned: number; meanLate: number; meanIdle: number }

const NOW = 1_700_000_000_000

function percentiles(times: number[]) {
  const s = [...times].sort((a, b) => a - b)
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: s[s.length - 1] }
}

/** All devices idle each call (a coordinator restart, or a burst of connections). */
export function benchAssign(clock: () => number = () => performance.now(), o: BenchOptions = {}): BenchResult {
  const { tasks: nTasks = 10_000, devices: nDevices = 1_000, calls = 20, warmup = 2, seed = 1 } = o
  const rng = mulberry32(seed)
  const devices = Array.from({ length: nDevices }, (_, i) => randomDevice(rng, `d${i}`))
  const ids = devices.map((d) => d.id)
  let nextId = 1
  let queue = Array.from({ length: nTasks }, () => randomTask(rng, nextId++, ids, NOW))
  const times: number[] = []
  let assigned = 0
  let late = 0
  for (let c = 0; c < warmup + calls; c++) {
    const t0 = clock()
    const { assignments } = assign(queue, devices, { now: NOW, prices: DEFAULT_PRICES, window: o.window })
    const dt = clock() - t0
    if (c >= warmup) {
      times.push(dt)
      assigned += assignments.length
      late += assignments.filter((a) => a.late).length
    }
    const done = new Set(assignments.map((a) => a.taskId))
    queue = queue.filter((t) => !done.has(t.id))
    while (queue.length < nTasks) queue.push(randomTask(rng, nextId++, ids, NOW))
  }
  return { calls, ...percentiles(times), meanAssigned: assigned / calls, meanLate: late / calls, meanIdle: nDevices }
}

/** One to a few devices idle per dispatch in a busy fleet (the coordinator's steady state). */
export function benchDispatch(clock: () => number = () => performance.now(), o: BenchOptions = {}): BenchResult {
  const { tasks: nTasks = 10_000, devices: nDevices = 1_000, calls = 2_000, warmup = 500, seed = 1 } = o
  const rng = mulberry32(seed)
  const fleet = Array.from({ length: nDevices }, (_, i) => randomDevice(rng, `d${i}`))
  const ids = fleet.map((d) => d.id)
  let nextId = 1
  const queue: TaskNeed[] = Array.from({ length: nTasks }, () => randomTask(rng, nextId++, ids, NOW))
  // Every device starts busy with a task of some job; running counts leases per job.
  const leaseJob = new Map<string, string>()
  const running: Record<string, number> = {}
  const lease = (deviceId: string, jobId: string) => {
    leaseJob.set(deviceId, jobId)
    running[jobId] = (running[jobId] ?? 0) + 1
  }
  for (const d of fleet) lease(d.id, `j${Math.floor(rng() * 4)}`)
  const busy = [...ids]
  const idle: DeviceSlot[] = []
  const byId = new Map(fleet.map((d) => [d.id, d]))
  const where = new Map(queue.map((t, i) => [t.id, i]))
  let kept: ReadyQueue | undefined
  if (o.kept) {
    kept = new ReadyQueue()
    for (const t of queue) kept.add(t)
  }
  const times: number[] = []
  let assigned = 0
  let late = 0
  let idleSum = 0
  for (let c = 0; c < warmup + calls; c++) {
    // 1 device most of the time, up to 4 when several finish together.
    const r = rng()
    const k = r < 0.6 ? 1 : r < 0.85 ? 2 : r < 0.95 ? 3 : 4
    for (let i = 0; i < k && busy.length > 0; i++) {
      const at = Math.floor(rng() * busy.length)
      const id = busy[at]
      busy[at] = busy[busy.length - 1]
      busy.pop()
      running[leaseJob.get(id)!]--
      leaseJob.delete(id)
      idle.push(byId.get(id)!)
    }
    const now = NOW + c
    const t0 = clock()
    const { assignments } = assign(kept ?? queue, idle, { now, prices: DEFAULT_PRICES, fleet: ids, running, window: o.window })
    const dt = clock() - t0
    if (c >= warmup) {
      times.push(dt)
      assigned += assignments.length
      late += assignments.filter((a) => a.late).length
      idleSum += idle.length
    }
    // The queue changes in place, as a coordinator's would (order carries no meaning: assign
    // ranks by priority, fair share, age and id): a served task's slot takes a new arrival.
    for (const a of assignments) {
      const at = where.get(a.taskId)!
      lease(a.deviceId, String(queue[at].jobId))
      where.delete(a.taskId)
      const t = randomTask(rng, nextId++, ids, now)
      queue[at] = t
      where.set(t.id, at)
      kept?.remove(a.taskId)
      kept?.add(t)
      busy.push(a.deviceId)
      const k = idle.findIndex((d) => d.id === a.deviceId)
      idle[k] = idle[idle.length - 1]
      idle.pop()
    }
  }
  return { calls, ...percentiles(times), meanAssigned: assigned / calls, meanLate: late / calls, meanIdle: idleSum / calls }
}
