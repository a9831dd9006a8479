import { describe, expect, it } from 'vitest'
import { classify, DEFAULT_PRICES, expectedMs, PriceTable, readPrices, taskCost, volunteerReward } from './pricing'

describe('pricing', () => {
  it('classifies by backend and measured speed at the documented thresholds', () => {
    expect(classify('wasm', 90_000)).toBe('cpu-wasm')
    expect(classify('cpu', 5)).toBe('cpu-wasm')
    expect(classify('webgpu', 20)).toBe('consumer-1080')
    expect(classify('webgpu', 1499)).toBe('consumer-1080')
    expect(classify('webgpu', 1500)).toBe('mid')
    expect(classify('webgpu', 5000)).toBe('high')
    expect(classify('webgpu', 20_000)).toBe('datacenter')
    expect(classify(undefined, 20)).toBe('cpu-wasm')
    expect(classify(undefined, 800)).toBe('consumer-1080')
  })

  it('costs expected seconds (compute plus transfer) times the class price', () => {
    const device = { id: 'd', gflops: 1000, memoryBudget: 0, backend: 'webgpu', bandwidth: 1e6 }
    const task = { id: 1, memoryBytes: 0, flops: 2e12, bytes: 5e6 }
    expect(expectedMs(task, device)).toBeCloseTo(7000)
    expect(taskCost(task, device, DEFAULT_PRICES)).toBeCloseTo(7 * DEFAULT_PRICES.perSecond['consumer-1080'])
    expect(taskCost(task, { ...device, class: 'datacenter' }, DEFAULT_PRICES)).toBeCloseTo(7 * 0.06)
  })

  it('makes a FLOP cheaper on bigger classes and pays volunteers less than any class charges at typical speed', () => {
    const typical = { datacenter: 30_000, high: 8_000, mid: 2_500, 'consumer-1080': 1_000, 'cpu-wasm': 20 } as const
    const perTflop = (Object.keys(typical) as (keyof typeof typical)[]).map((c) => DEFAULT_PRICES.perSecond[c] / (typical[c] / 1000))
    expect([...perTflop].sort((a, b) => a - b)).toEqual(perTflop)
    expect(volunteerReward(1e12)).toBeLessThan(Math.min(...perTflop))
  })

  it('reads a partial override from config JSON and names a bad field', () => {
    const p = readPrices({ perSecond: { mid: 0.01 } })
    expect(p.perSecond.mid).toBe(0.01)
    expect(p.perSecond.high).toBe(DEFAULT_PRICES.perSecond.high)
    expect(PriceTable.parse(p)).toEqual(p)
    expect(() => readPrices({ perSecond: { mid: -1 } })).toThrow(/mid/)
    expect(() => PriceTable.parse({ perSecond: {} })).toThrow()
  })
})
