import { describe, expect, it } from 'vitest'
import { isNimbleError } from '../protocol'
import { formatPaperPlan, parseBandwidth, parseByteSize, planOnPaper } from './paper-plan'

const GiB = 2 ** 30
const founding = { params: 100e9, deviceMemoryBytes: 8 * GiB, bandwidthBytesPerSec: 100e6 / 8, microBatches: 32 }

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

describe('planOnPaper: the founding example, 100e9 float32 parameters on 8 GiB devices', () => {
  it('inference: 50 segments of two 1e9 blocks (8e9 bytes of weights; three would be 12e9 > 8 GiB)', () => {
    const p = planOnPaper(founding)
    expect(p.hiddenSize).toBe(9129)
    expect(p.devicesNeeded).toBe(50)
    expect(p.plan.stages).toBe(50)
    for (const s of p.plan.segments) {
      expect(s.to - s.from).toBe(2)
      expect(s.params).toBe(2e9)
      expect(s.weightBytes).toBe(8e9)
      expect(s.memoryBytes).toBe(8e9 + 3 * 4 * 9129) // + input and two outputs of one row
    }
    // 2 blocks × 2 FLOPs × 1e9 params at 10 GFLOP/s, plus one 36 516-byte row over 100 Mbit/s
    expect(p.plan.bottleneckSec).toBeCloseTo(0.4 + (4 * 9129) / 12.5e6, 12)
    expect(p.stats.bubbleFraction).toBeCloseTo(49 / 81, 12)
    expect(p.stats.bytesBetweenStagesPerMicroBatch).toBe(49 * 4 * 9129)
    expect(p.stats.rowsPerSec).toBeCloseTo(32 / (81 * p.plan.bottleneckSec), 9)
  })

  it('8 GB (decimal) devices hold one block each: 100 segments', () => {
    expect(planOnPaper({ ...founding, deviceMemoryBytes: 8e9 }).plan.stages).toBe(100)
  })

  it('training with SGD needs weights + gradients, 8 bytes a parameter: 100 segments of 1e9', () => {
    const p = planOnPaper({ ...founding, training: true, optimizer: 'sgd' })
    expect(p.plan.stages).toBe(100)
    expect(p.plan.segments[0].memoryBytes).toBe(8e9 + 2 * 4 * 9129)
  })

  it('training with Adam needs 16 bytes a parameter: a 1e9 block no longer fits, 200 blocks of 5e8 do', () => {
    expectError(() => planOnPaper({ ...founding, training: true }), 'invalid_model', /^layer block_0 \(Dense, #0\) needs 14\.90 GiB \(16000073032 bytes: .*\) but the largest device budget is 8\.00 GiB \(8589934592 bytes\)/)
    expect(planOnPaper({ ...founding, training: true, layers: 200 }).plan.stages).toBe(200)
  })

  it('more devices than needed shorten the stages; fewer are refused with the count it needs', () => {
    const p = planOnPaper({ ...founding, devices: 100 })
    expect(p.plan.stages).toBe(100)
    expect(p.plan.bottleneckSec).toBeLessThan(planOnPaper(founding).plan.bottleneckSec / 1.9)
    expectError(() => planOnPaper({ ...founding, devices: 40 }), 'invalid_model', /100 layers need at least 50 devices of 8\.00 GiB .* but only 40 were offered/)
  })

  it('prints what the CLI prints', () => {
    const text = formatPaperPlan(planOnPaper(founding))
    expect(text).toContain('devices needed: 50 (the fewest that hold the model); planned on 50, used 50')
    expect(text).toContain('segments: 50\n  #1-#50: 2 blocks each, 2.00e9 params, weights 7.45 GiB (8.00e9 bytes)')
    expect(text).toContain('bubble: 60.5% idle with 32 micro-batches ((K−1)/(M+K−1) = 49/81)')
    expect(text).toContain('bytes moved per micro-batch between stages: 1.71 MiB (49 boundaries × 35.66 KiB of activations)')
  })

  it('refuses bad options as bad requests', () => {
    expectError(() => planOnPaper({ ...founding, deviceMemoryBytes: 0 }), 'bad_request', /deviceMemoryBytes must be a positive number/)
    expectError(() => planOnPaper({ ...founding, microBatches: 0 }), 'bad_request', /microBatches/)
    expectError(() => planOnPaper({ ...founding, layers: 5000 }), 'bad_request', /at most 1000 layers/)
    expectError(() => planOnPaper({ ...founding, devices: 1.5 }), 'bad_request', /devices must be an integer/)
  })
})

describe('units', () => {
  it('reads sizes in binary and decimal units', () => {
    expect(parseByteSize('8GiB')).toBe(8 * GiB)
    expect(parseByteSize('8 gib')).toBe(8 * GiB)
    expect(parseByteSize('8GB')).toBe(8e9)
    expect(parseByteSize('512MiB')).toBe(512 * 2 ** 20)
    expect(parseByteSize('1.5MB')).toBe(1.5e6)
    expect(parseByteSize('4096')).toBe(4096)
    expect(parseByteSize('4096B')).toBe(4096)
    for (const bad of ['', 'GiB', '8G', '8 parsecs', '-1GB', '8GiBs']) expectError(() => parseByteSize(bad, '--device-memory'), 'bad_request', /--device-memory: cannot read/)
  })

  it('reads bandwidth in bits (lower-case b) or bytes (upper-case B) per second', () => {
    expect(parseBandwidth('100Mbit')).toBe(12.5e6)
    expect(parseBandwidth('100Mbit/s')).toBe(12.5e6)
    expect(parseBandwidth('100Mbps')).toBe(12.5e6)
    expect(parseBandwidth('100Mb/s')).toBe(12.5e6)
    expect(parseBandwidth('1Gbit')).toBe(125e6)
    expect(parseBandwidth('12.5MB/s')).toBe(12.5e6)
    expect(parseBandwidth('10MiB/s')).toBe(10 * 2 ** 20)
    expect(parseBandwidth('1000')).toBe(1000)
    for (const bad of ['', 'fast', '100Mbt', '100 iB/s', '100Xbit']) expectError(() => parseBandwidth(bad), 'bad_request', /cannot read .* as a bandwidth/)
  })
})
