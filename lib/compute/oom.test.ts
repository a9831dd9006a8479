import { describe, expect, it } from 'vitest'
import { budgetAfterOom, isOutOfMemory, OutOfMemoryError, webgpuDevice, withOomScope, type ErrorScopeDevice } from './oom'

function fakeDevice(error: { message: string } | null): ErrorScopeDevice & { pushed: number; popped: number } {
  const d = {
    pushed: 0,
    popped: 0,
    pushErrorScope() {
      d.pushed++
    },
    async popErrorScope() {
      d.popped++
      return error
    },
  }
  return d
}

describe('out-of-memory scopes', () => {
  it('turns an error captured in the WebGPU scope into OutOfMemoryError, scope balanced', async () => {
    const d = fakeDevice({ message: 'Not enough memory left' })
    await expect(withOomScope(d, async () => 1)).rejects.toBeInstanceOf(OutOfMemoryError)
    expect([d.pushed, d.popped]).toEqual([1, 1])
  })
  it('passes results and ordinary errors through', async () => {
    const d = fakeDevice(null)
    expect(await withOomScope(d, async () => 7)).toBe(7)
    await expect(withOomScope(d, async () => { throw new Error('shape mismatch') })).rejects.toThrow('shape mismatch')
    await expect(withOomScope(d, async () => { throw new Error('shape mismatch') })).rejects.not.toBeInstanceOf(OutOfMemoryError)
    expect(d.pushed).toBe(d.popped)
  })
  it('recognises thrown allocation failures without a device', async () => {
    await expect(withOomScope(null, async () => { throw new Error('Failed to allocate 1 GB') })).rejects.toBeInstanceOf(OutOfMemoryError)
    expect(isOutOfMemory(new Error('RangeError: Array buffer allocation failed'))).toBe(true)
    expect(isOutOfMemory(new Error('unknown layer Dense2'))).toBe(false)
  })
  it('finds the device only on a backend that has one', () => {
    expect(webgpuDevice({ device: fakeDevice(null) })).not.toBeNull()
    expect(webgpuDevice({})).toBeNull()
    expect(webgpuDevice(null)).toBeNull()
  })
  it('lowers the budget below what the failed task needed', () => {
    expect(budgetAfterOom(256e6, 100e6)).toBe(90e6)
    expect(budgetAfterOom(50e6, 100e6)).toBe(50e6)
    expect(budgetAfterOom(0, 100e6)).toBe(90e6)
  })
})
