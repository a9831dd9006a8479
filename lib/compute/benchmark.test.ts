import { beforeAll, describe, expect, it } from 'vitest'
import { benchmarkMatMul } from './benchmark'
import { describeAdapter, memoryBudget, pickBackend } from './device-profile'
import { useCpu } from './test-fixtures'

beforeAll(useCpu)

describe('benchmarkMatMul', () => {
  it('measures a positive GFLOP/s on cpu within a small budget', async () => {
    const t0 = performance.now()
    const r = await benchmarkMatMul({ backend: 'cpu', targetMs: 20 })
    expect(r.error).toBeUndefined()
    expect(r.backend).toBe('cpu')
    expect(r.gflops).toBeGreaterThan(0)
    expect(r.size).toBeGreaterThanOrEqual(64)
    expect(performance.now() - t0).toBeLessThan(5000)
  })

  it('stops at maxSize', async () => {
    const r = await benchmarkMatMul({ backend: 'cpu', targetMs: 1e9, maxSize: 128 })
    expect(r.size).toBe(128)
  })

  it('reports a backend that cannot start as 0 GFLOP/s with an error', async () => {
    const r = await benchmarkMatMul({ backend: 'webgpu' })
    expect(r.gflops).toBe(0)
    expect(r.error).toBeTruthy()
  })
})

describe('device profile helpers', () => {
  it('picks the fastest working backend, or the forced one', () => {
    const b = [
      { backend: 'cpu' as const, gflops: 0.6, size: 256 },
      { backend: 'wasm' as const, gflops: 15, size: 1024 },
      { backend: 'webgpu' as const, gflops: 0, size: 64, error: 'no adapter' },
    ]
    expect(pickBackend(b)).toBe('wasm')
    expect(pickBackend(b, 'cpu')).toBe('cpu')
    expect(pickBackend(b, 'webgpu')).toBeNull()
    expect(pickBackend([])).toBeNull()
  })

  it('describes an adapter and budgets memory from its limits', () => {
    const info = describeAdapter({
      info: { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader', isFallbackAdapter: true },
      limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27 },
    })
    expect(info).toEqual({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader', isFallbackAdapter: true, maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27 })
    expect(memoryBudget('webgpu', info)).toBe(512 * 2 ** 20)
    expect(memoryBudget('webgpu', { ...info, maxBufferSize: 2 ** 28 })).toBe(2 ** 28)
    expect(memoryBudget('wasm', null)).toBe(256 * 2 ** 20)
    expect(describeAdapter({ limits: { maxBufferSize: 1, maxStorageBufferBindingSize: 1 } }).vendor).toBe('unknown')
  })
})
