import { describe, expect, it } from 'vitest'
import { compareResults, lazyUpdate, relativeL2, updateDistance } from './compare'

const t = (name: string, ...v: number[]) => ({ name, data: Float32Array.from(v) })

describe('compare', () => {
  it('relative L2 of outputs; a different layout never agrees', () => {
    expect(relativeL2([t('y', 3, 4)], [t('y', 3, 4)])).toBe(0)
    expect(relativeL2([t('y', 3, 4)], [t('y', 3, 4.5)])).toBeCloseTo(0.5 / Math.hypot(3, 4.5), 6)
    expect(relativeL2([t('y', 1)], [t('z', 1)])).toBe(Infinity)
    expect(compareResults([t('y', 0, 0)], [t('y', 0, 0)], null).agree).toBe(true)
  })
  it('training updates are compared relative to the update, not the weights', () => {
    const base = [t('w', 10, 10)]
    // weights 1e-4 apart look identical as weights but the updates differ by 10%
    const a = [t('w', 10.001, 10)]
    const b = [t('w', 10.0011, 10)]
    expect(relativeL2(a, b)).toBeLessThan(1e-5)
    expect(updateDistance(base, a, b)).toBeGreaterThan(0.05)
    expect(compareResults(a, b, base).agree).toBe(false)
  })
  it('a result equal to its base is lazy', () => {
    expect(lazyUpdate([t('w', 1, 2)], [t('w', 1, 2)])).toMatch(/not trained/)
    expect(lazyUpdate([t('w', 1.01, 2)], [t('w', 1, 2)])).toBeNull()
  })
  it('two results that both did not move agree, whatever their rounding; one that did not move never agrees with one that did', () => {
    const base = [t('w', 10, 10)]
    // Relative updates of 1e-7 (below minUpdate) in opposite directions: compared by direction they would differ completely.
    const a = [t('w', 10 + 1.4e-6, 10)]
    const b = [t('w', 10 - 1.4e-6, 10)]
    expect(updateDistance(base, a, b)).toBeGreaterThan(1)
    expect(compareResults(a, b, base)).toEqual({ agree: true, distance: 0, tolerance: 1e-3 })
    expect(compareResults(base, a, base).agree).toBe(true)
    expect(compareResults(base, [t('w', 10.5, 10)], base).agree).toBe(false)
  })
})
