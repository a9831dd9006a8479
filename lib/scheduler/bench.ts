/**
 * Decision-time micro-benchmark for assign (pure but for the clock, which comes in).
 * A queue of `tasks` ready tasks and `devices` idle devices; each call assigns, the
 * assigned tasks leave the queue and as many new ones join (devices finish and are idle
 * again), as the dispatcher sees it under steady load. Reports p50/p99 per call.
 */
import { assign } from './assign'
import { DEFAULT_PRICES } from './pricing'
import { mulberry32, randomDevice, randomTask } from './random'

export type BenchOptions = { tasks?: number; devices?: number; calls?: number; warmup?: number; seed?: number; window?: number }
export type BenchResult = { calls: number; p50Ms: number; p99Ms: number; maxMs: number; meanAssigned: number; meanLate: number }

export function benchAssign(clock: () => number = () => performance.now(), o: BenchOptions = {}): BenchResult {
  const { tasks: nTasks = 10_000, devices: nDevices = 1_000, calls = 50, warmup = 3, seed = 1 } = o
  const rng = mulberry32(seed)
  const now = 1_700_000_000_000
  const devices = Array.from({ length: nDevices }, (_, i) => randomDevice(rng, `d${i}`))
  const ids = devices.map((d) => d.id)
  let nextId = 1
  let queue = Array.from({ length: nTasks }, () => randomTask(rng, nextId++, ids, now))
  const times: number[] = []
  let assigned = 0
  let late = 0
  for (let c = 0; c < warmup + calls; c++) {
    const t0 = clock()
    const { assignments } = assign(queue, devices, { now, prices: DEFAULT_PRICES, window: o.window })
    const dt = clock() - t0
    if (c >= warmup) {
      times.push(dt)
      assigned += assignments.length
      late += assignments.filter((a) => a.late).length
    }
    const done = new Set(assignments.map((a) => a.taskId))
    queue = queue.filter((t) => !done.has(t.id))
    while (queue.length < nTasks) queue.push(randomTask(rng, nextId++, ids, now))
  }
  times.sort((a, b) => a - b)
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]
  return { calls, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: times[times.length - 1], meanAssigned: assigned / calls, meanLate: late / calls }
}
