/**
 * Seeded random instances (pure) for tests and the benchmark: devices across all price
 * classes and backends, tasks with random memory, backends, avoid/prefer rules,
 * deadlines, priorities and jobs.
 */
import type { DeviceSlot, TaskNeed } from './match'

// One seeded generator for the whole project (lib/compute/prng.ts); re-exported for the scheduler's callers.
export { mulberry32 } from '../compute/prng'
import { mulberry32 } from '../compute/prng'

export type InstanceOptions = { now: number; maxTasks: number; maxDevices: number; minTasks?: number; minDevices?: number; firstTaskId?: number }

/** A small pool of shared inputs (a dataset, model weights), so caches overlap. */
export const BLOBS = [
  { hash: 'b-dataset', bytes: 5e7 },
  { hash: 'b-weights', bytes: 2e7 },
  { hash: 'b-shard-1', bytes: 4e6 },
  { hash: 'b-shard-2', bytes: 4e6 },
]

export function randomDevice(rng: () => number, id: string): DeviceSlot {
  const backend = ['webgpu', 'webgpu', 'webgpu', 'wasm', 'cpu'][Math.floor(rng() * 5)]
  const gflops = backend === 'webgpu' ? [300, 1000, 2500, 8000, 30000][Math.floor(rng() * 5)] * (0.5 + rng()) : 5 + rng() * 40
  return {
    id,
    gflops,
    backend,
    memoryBudget: rng() < 0.1 ? 0 : 2 ** (26 + Math.floor(rng() * 8)),
    ...(rng() < 0.7 ? { bandwidth: 1e6 * 2 ** Math.floor(rng() * 8) } : {}),
    // Some hold a few of the shared blobs (randomTask draws from the same BLOBS).
    ...(rng() < 0.4 ? { cached: new Set(BLOBS.filter(() => rng() < 0.4).map((b) => b.hash)) } : {}),
  }
}

export function randomTask(rng: () => number, id: number, deviceIds: string[], now: number): TaskNeed {
  const flops = 10 ** (8 + rng() * 6)
  const pick = () => deviceIds[Math.floor(rng() * deviceIds.length)]
  return {
    id,
    flops,
    memoryBytes: 2 ** (20 + Math.floor(rng() * 14)),
    ...(rng() < 0.5 ? { bytes: 10 ** (4 + rng() * 4) } : {}),
    ...(rng() < 0.3 ? { blobs: BLOBS.filter(() => rng() < 0.5) } : {}),
    ...(rng() < 0.3 ? { backends: rng() < 0.5 ? ['webgpu', 'cpu'] : ['webgpu'] } : {}),
    ...(rng() < 0.15 ? { avoid: [pick()] } : {}),
    ...(rng() < 0.05 ? { prefer: rng() < 0.5 ? pick() : 'gone' } : {}),
    ...(rng() < 0.4 ? { deadline: now + 10 ** (1 + rng() * 4) } : {}),
    ...(rng() < 0.3 ? { priority: Math.floor(rng() * 3) } : {}),
    jobId: `j${Math.floor(rng() * 4)}`,
    createdAt: now - Math.floor(rng() * 1e5),
  }
}

export function randomInstance(rng: () => number, o: InstanceOptions): { tasks: TaskNeed[]; devices: DeviceSlot[]; fleet: string[] } {
  const between = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1))
  const devices = Array.from({ length: between(o.minDevices ?? 1, o.maxDevices) }, (_, i) => randomDevice(rng, `d${i}`))
  // Some connected devices are busy: they are in the fleet but not idle.
  const fleet = [...devices.map((d) => d.id), ...(rng() < 0.3 ? ['busy'] : [])]
  const ids = [...fleet, 'busy']
  const tasks = Array.from({ length: between(o.minTasks ?? 1, o.maxTasks) }, (_, i) => randomTask(rng, (o.firstTaskId ?? 1) + i, ids, o.now))
  return { tasks, devices, fleet }
}
