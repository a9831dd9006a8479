/**
 * Simulated workload (pure, seeded): a mix of jobs, all submitted at time 0.
 *   train      data-parallel rounds: `rows` rows x `flopsPerRow` per round, cut into `shards`
 *              tasks that must all finish before the next round starts
 *   inference  a batch of small, transfer-heavy tasks (any device can run them)
 *   large      a few big tasks that need a WebGPU device with a big memory budget
 * Sizes scale with the fleet so a run keeps every device class busy.
 */
export type TrainJob = { kind: 'train'; id: string; rounds: number; rows: number; flopsPerRow: number; shards: number; memoryBytes: number; blobBytes: number }
export type BatchJob = { kind: 'inference' | 'large'; id: string; tasks: { flops: number; bytes: number; memoryBytes: number; backends?: string[] }[] }
export type Job = TrainJob | BatchJob

export function makeWorkload(rng: () => number, devices: number): Job[] {
  const jobs: Job[] = []
  const between = (lo: number, hi: number) => lo + (hi - lo) * rng()
  const n = (per: number) => Math.max(1, Math.round(devices / per))
  for (let j = 0; j < n(50); j++) {
    jobs.push({ kind: 'train', id: `train${j}`, rounds: 8, rows: 100_000, flopsPerRow: between(2e9, 6e9), shards: 32, memoryBytes: 3e8, blobBytes: 2e7 })
  }
  for (let j = 0; j < n(100); j++) {
    const tasks = Array.from({ length: 300 }, () => ({ flops: 10 ** between(9.5, 11), bytes: between(2e6, 1e7), memoryBytes: 1e8 }))
    jobs.push({ kind: 'inference', id: `infer${j}`, tasks })
  }
  const large = Array.from({ length: n(10) }, () => ({ flops: between(5e14, 2e15), bytes: 5e7, memoryBytes: between(6e9, 1.2e10), backends: ['webgpu'] }))
  jobs.push({ kind: 'large', id: 'large', tasks: large })
  return jobs
}
