import { describe, expect, it } from 'vitest'
import { isNimbleError, type Optimizer } from '../protocol'
import { mulberry32 } from '../compute/prng'
import type { LayerEstimate } from './estimate'
import { estimateFromParams } from './estimate'
import { formatBytes, minDevices, partition, pipelineStats, segmentMemoryBytes, type PartitionOptions, type PlanDevice } from './partition'

function layer(index: number, l: Partial<LayerEstimate>): LayerEstimate {
  const weightBytes = l.weightBytes ?? 0
  return { index, name: `l${index}`, className: 'Dense', params: weightBytes / 4, weightBytes, inputShape: [1], outputShape: [1], inputBytes: 0, activationBytes: 0, flops: 0, ...l }
}

function expectError(fn: () => unknown, code: string, pattern: RegExp) {
  try {
    fn()
  } catch (e) {
    expect(isNimbleError(e) && e.code).toBe(code)
    expect((e as Error).message).toMatch(pattern)
    return
  }
  throw new Error(`expected a ${code} error`)
}

/** The cost model written out independently of partition.ts, for the brute force. */
function reference(layers: LayerEstimate[], o: PartitionOptions) {
  const copies = o.training ? 2 + { adam: 2, momentum: 1, sgd: 0 }[o.optimizer ?? 'adam'] : 1
  const sum = (i: number, j: number, f: (l: LayerEstimate) => number) => layers.slice(i, j).reduce((s, l) => s + f(l), 0)
  const memory = (i: number, j: number) => copies * sum(i, j, (l) => l.weightBytes) + o.microBatch * (layers[i].inputBytes + sum(i, j, (l) => l.activationBytes))
  const time = (i: number, j: number, d: PlanDevice) => {
    const compute = (sum(i, j, (l) => l.flops) * o.microBatch * (o.training ? 3 : 1)) / (d.gflops * 1e9)
    const bytes = o.microBatch * (layers[i].inputBytes + (o.training && j < layers.length ? layers[j].inputBytes : 0))
    return compute + bytes / d.bandwidthBytesPerSec
  }
  return { memory, time }
}

/** Every contiguous partition × every order-preserving device assignment: least bottleneck, then fewest stages. */
function bruteForce(layers: LayerEstimate[], devices: PlanDevice[], o: PartitionOptions): { bottleneck: number; stages: number } | null {
  const n = layers.length
  const { memory, time } = reference(layers, o)
  let best: { bottleneck: number; stages: number } | null = null
  for (let mask = 0; mask < 1 << (n - 1); mask++) {
    const cuts = [0]
    for (let b = 0; b < n - 1; b++) if (mask & (1 << b)) cuts.push(b + 1)
    cuts.push(n)
    const s = cuts.length - 1
    const assign = (seg: number, firstDevice: number, worst: number): void => {
      if (seg === s) {
        const better = !best || worst < best.bottleneck * (1 - 1e-12) || (worst <= best.bottleneck * (1 + 1e-12) && s < best.stages)
        if (better) best = { bottleneck: worst, stages: s }
        return
      }
      for (let k = firstDevice; k < devices.length; k++) {
        if (memory(cuts[seg], cuts[seg + 1]) > devices[k].memoryBytes) continue
        assign(seg + 1, k + 1, Math.max(worst, time(cuts[seg], cuts[seg + 1], devices[k])))
      }
    }
    assign(0, 0, 0)
  }
  return best
}

function randomInstance(rand: () => number) {
  const pick = <T,>(xs: T[]) => xs[Math.floor(rand() * xs.length)]
  const n = 1 + Math.floor(rand() * 8)
  const K = 1 + Math.floor(rand() * 4)
  const integer = rand() < 0.3 // small integers make ties common
  const v = (scale: number) => (integer ? Math.floor(rand() * 4) : rand()) * scale
  const layers = Array.from({ length: n }, (_, i) => layer(i, { weightBytes: v(100), inputBytes: v(20), activationBytes: v(20), flops: v(1e9) }))
  const devices = Array.from({ length: K }, (_, k) => ({ id: `d${k}`, memoryBytes: 60 + v(400), gflops: 0.5 + v(4), bandwidthBytesPerSec: 10 + v(90) }))
  const options: PartitionOptions = { microBatch: 1 + Math.floor(rand() * 3), training: rand() < 0.5, optimizer: pick<Optimizer>(['adam', 'sgd', 'momentum']) }
  return { layers, devices, options }
}

describe('partition', () => {
  it('finds the brute-force optimum (least bottleneck, then fewest stages) on 600 seeded random instances', () => {
    const rand = mulberry32(20240607)
    let feasible = 0
    let infeasible = 0
    let skipped = 0
    for (let t = 0; t < 600; t++) {
      const { layers, devices, options } = randomInstance(rand)
      const best = bruteForce(layers, devices, options)
      if (!best) {
        expectError(() => partition(layers, devices, options), 'invalid_model', /needs|devices/)
        infeasible++
        continue
      }
      const plan = partition(layers, devices, options)
      feasible++
      expect(plan.bottleneckSec).toBeCloseTo(best.bottleneck, 9)
      expect(plan.stages).toBe(best.stages)
      // The plan itself is valid: contiguous, covering, devices in order and used once, every segment fits.
      const { memory, time } = reference(layers, options)
      expect(plan.segments.map((s) => s.from)).toEqual([0, ...plan.segments.slice(0, -1).map((s) => s.to)])
      expect(plan.segments.at(-1)!.to).toBe(layers.length)
      const order = plan.segments.map((s) => devices.findIndex((d) => d.id === s.deviceId))
      expect(order).toEqual([...order].sort((a, b) => a - b))
      expect(new Set(order).size).toBe(order.length)
      if (order.some((k, s) => k !== s)) skipped++
      for (const s of plan.segments) {
        const d = devices.find((x) => x.id === s.deviceId)!
        expect(s.memoryBytes).toBeCloseTo(memory(s.from, s.to), 6)
        expect(s.memoryBytes).toBeLessThanOrEqual(d.memoryBytes)
        expect(s.stageSec).toBeCloseTo(time(s.from, s.to, d), 9)
        expect(s.stageSec).toBeCloseTo(s.computeSec + s.transferSec, 12)
      }
    }
    // The instances exercise every branch.
    expect(feasible).toBeGreaterThan(300)
    expect(infeasible).toBeGreaterThan(10)
    expect(skipped).toBeGreaterThan(10)
  })

  it('balances compute across identical devices and prefers fewer stages when more would not help', () => {
    const dev = (id: string): PlanDevice => ({ id, memoryBytes: 1e6, gflops: 1, bandwidthBytesPerSec: 1e3 })
    const four = Array.from({ length: 4 }, (_, i) => layer(i, { weightBytes: 100, flops: 1e9, inputBytes: 10, activationBytes: 10 }))
    const plan = partition(four, [dev('a'), dev('b'), dev('c'), dev('d')], { microBatch: 1, training: false })
    expect(plan.segments.map((s) => [s.from, s.to, s.deviceId])).toEqual([[0, 1, 'a'], [1, 2, 'b'], [2, 3, 'c'], [3, 4, 'd']])
    expect(plan.bottleneckSec).toBeCloseTo(1 + 10 / 1e3, 12)
    // No compute, input transfer only: one stage is as fast as four, so one stage it is.
    const free = four.map((l) => ({ ...l, flops: 0 }))
    expect(partition(free, [dev('a'), dev('b'), dev('c'), dev('d')], { microBatch: 1, training: false }).stages).toBe(1)
  })

  it('skips a device that is too small and a device that is too slow', () => {
    const layers = [layer(0, { weightBytes: 400, flops: 1e9 }), layer(1, { weightBytes: 400, flops: 1e9 })]
    const devices = [
      { id: 'tiny', memoryBytes: 100, gflops: 100, bandwidthBytesPerSec: 1e9 },
      { id: 'fast', memoryBytes: 500, gflops: 10, bandwidthBytesPerSec: 1e9 },
      { id: 'slow', memoryBytes: 500, gflops: 0.001, bandwidthBytesPerSec: 1e9 },
      { id: 'fast2', memoryBytes: 500, gflops: 10, bandwidthBytesPerSec: 1e9 },
    ]
    expect(partition(layers, devices, { microBatch: 1, training: false }).segments.map((s) => s.deviceId)).toEqual(['fast', 'fast2'])
  })
})

describe('memory accounting', () => {
  const layers = [
    layer(0, { weightBytes: 1000, inputBytes: 16, activationBytes: 40, flops: 500 }),
    layer(1, { weightBytes: 200, inputBytes: 40, activationBytes: 8, flops: 100 }),
  ]
  it('counts weights, the micro-batch input and every output, and for training gradients and optimizer state', () => {
    // inference: weights + 4 rows × (input 16 + outputs 40 + 8)
    expect(segmentMemoryBytes(layers, 0, 2, { microBatch: 4, training: false })).toBe(1200 + 4 * 64)
    // training: weights + gradients + optimizer copies
    expect(segmentMemoryBytes(layers, 0, 2, { microBatch: 4, training: true, optimizer: 'sgd' })).toBe(2 * 1200 + 256)
    expect(segmentMemoryBytes(layers, 0, 2, { microBatch: 4, training: true, optimizer: 'momentum' })).toBe(3 * 1200 + 256)
    expect(segmentMemoryBytes(layers, 0, 2, { microBatch: 4, training: true, optimizer: 'adam' })).toBe(4 * 1200 + 256)
    expect(segmentMemoryBytes(layers, 0, 2, { microBatch: 4, training: true })).toBe(4 * 1200 + 256) // adam by default
    // the second layer alone receives the first one's output
    expect(segmentMemoryBytes(layers, 1, 2, { microBatch: 1, training: false })).toBe(200 + 40 + 8)
  })

  it('times a training stage at 3× forward FLOPs and adds the gradient coming back', () => {
    const devices = [
      { id: 'a', memoryBytes: 2200, gflops: 1e-6, bandwidthBytesPerSec: 8 }, // holds one layer, not both (2528 bytes)
      { id: 'b', memoryBytes: 2200, gflops: 1e-6, bandwidthBytesPerSec: 8 },
    ]
    const [a, b] = partition(layers, devices, { microBatch: 2, training: true, optimizer: 'sgd' }).segments
    expect([a.from, a.to, b.from, b.to]).toEqual([0, 1, 1, 2])
    expect(a.flops).toBe(3 * 500 * 2)
    expect(a.computeSec).toBeCloseTo(3000 / 1000, 12)
    expect(a.inputBytes).toBe(32)
    expect(a.gradientBytes).toBe(80) // gradient of the 40-byte output, 2 rows
    expect(a.transferSec).toBeCloseTo((32 + 80) / 8, 12)
    expect(b.gradientBytes).toBe(0) // the last stage computes the loss itself
    expect(b.transferSec).toBeCloseTo(80 / 8, 12)
  })
})

describe('infeasible plans', () => {
  const dev = (id: string, memoryBytes: number): PlanDevice => ({ id, memoryBytes, gflops: 1, bandwidthBytesPerSec: 1e6 })
  it('names the layer no device can hold, its bytes and the largest budget', () => {
    const layers = [layer(0, { weightBytes: 100 }), layer(1, { name: 'huge', weightBytes: 5000 }), layer(2, { name: 'huger', weightBytes: 9000 })]
    expectError(() => partition(layers, [dev('a', 1000), dev('b', 4000)], { microBatch: 1, training: false }), 'invalid_model', /^layer huge \(Dense, #1\) needs 4\.88 KiB \(5000 bytes: .*\) but the largest device budget is 3\.91 KiB \(4000 bytes\)/)
    expectError(() => partition(layers.slice(0, 2), [dev('a', 6000)], { microBatch: 1, training: true, optimizer: 'adam' }), 'invalid_model', /layer huge .* needs .*20000 bytes.*optimizer state.*use a lighter optimizer/)
  })

  it('says how many devices it would take', () => {
    const layers = Array.from({ length: 6 }, (_, i) => layer(i, { weightBytes: 100 }))
    expectError(() => partition(layers, [dev('a', 250), dev('b', 250)], { microBatch: 1, training: false }), 'invalid_model', /6 layers need at least 3 devices of 250 B \(250 bytes\) each, but only 2 were offered/)
    // enough big devices, in an order that cannot work
    expectError(() => partition(layers.slice(0, 3), [dev('big', 200), dev('small', 50)], { microBatch: 1, training: false }), 'invalid_model', /at least 2 devices.*the 2 devices offered cannot hold it in the order given/)
    expectError(() => partition(layers, [], { microBatch: 1, training: false }), 'invalid_model', /no devices were offered/)
    expect(minDevices(layers, 250, { microBatch: 1, training: false })).toBe(3)
    expect(minDevices(layers, 50, { microBatch: 1, training: false })).toBe(Infinity)
  })

  it('refuses bad arguments as bad requests', () => {
    const layers = [layer(0, { weightBytes: 1 })]
    expectError(() => partition([], [dev('a', 1)], { microBatch: 1, training: false }), 'bad_request', /no layers/)
    expectError(() => partition(layers, [dev('a', 10)], { microBatch: 0, training: false }), 'bad_request', /microBatch must be a positive integer/)
    expectError(() => partition(layers, [dev('a', 10), dev('a', 10)], { microBatch: 1, training: false }), 'bad_request', /device a is listed twice/)
    expectError(() => partition(layers, [{ ...dev('a', 10), gflops: 0 }], { microBatch: 1, training: false }), 'bad_request', /gflops must be a positive number/)
    expectError(() => partition([layer(0, { flops: NaN })], [dev('a', 10)], { microBatch: 1, training: false }), 'bad_request', /layer l0: flops/)
  })
})

describe('pipelineStats', () => {
  it('follows GPipe: bubble (K−1)/(M+K−1), time (M+K−1)·bottleneck', () => {
    const layers = estimateFromParams({ params: 4000, layers: 4, hiddenSize: 10 })
    const devices = Array.from({ length: 4 }, (_, i) => ({ id: `d${i}`, memoryBytes: 5000, gflops: 1e-6, bandwidthBytesPerSec: 40 }))
    const plan = partition(layers, devices, { microBatch: 2, training: false })
    expect(plan.stages).toBe(4)
    const s = pipelineStats(plan, 8)
    expect(s.bubbleFraction).toBeCloseTo(3 / 11, 12)
    expect(s.expectedSec).toBeCloseTo(11 * plan.bottleneckSec, 12)
    expect(s.rowsPerSec).toBeCloseTo(16 / s.expectedSec, 12)
    expect(s.latencySec).toBeCloseTo(4 * plan.bottleneckSec, 12)
    expect(s.bytesBetweenStagesPerMicroBatch).toBe(3 * 2 * 40) // three boundaries, 2 rows of 10 floats
    expect(pipelineStats(plan, 1).bubbleFraction).toBeCloseTo(3 / 4, 12)
    expect(pipelineStats({ ...plan, stages: 1, segments: plan.segments.slice(0, 1) }, 8).bubbleFraction).toBe(0)
    expectError(() => pipelineStats(plan, 0), 'bad_request', /microBatches must be a positive integer/)
  })

  it('formats bytes in binary units', () => {
    expect(formatBytes(8 * 2 ** 30)).toBe('8.00 GiB')
    expect(formatBytes(512)).toBe('512 B')
  })
})
