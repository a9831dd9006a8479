import { describe, expect, it } from 'vitest'
import { regressionReport } from './regression'

describe('regressionReport', () => {
  it('computes MSE, MAE and R² by hand', () => {
    // errors 0, 0, -2; targets' mean 8/3, SS_tot = 78/9
    const r = regressionReport(Float32Array.of(1, 2, 3), Float32Array.of(1, 2, 5))
    expect(r.mse).toBeCloseTo(4 / 3, 10)
    expect(r.mae).toBeCloseTo(2 / 3, 10)
    expect(r.r2).toBeCloseTo(1 - 36 / 78, 10)
  })

  it('is perfect for a perfect fit, zero for predicting the mean, negative for worse', () => {
    expect(regressionReport(Float32Array.of(1, 2, 3), Float32Array.of(1, 2, 3))).toEqual({ mse: 0, mae: 0, r2: 1 })
    expect(regressionReport(Float32Array.of(2, 2, 2), Float32Array.of(1, 2, 3)).r2).toBeCloseTo(0, 10)
    expect(regressionReport(Float32Array.of(3, 2, 1), Float32Array.of(1, 2, 3)).r2).toBeCloseTo(-3, 10)
  })

  it('handles constant targets as scikit-learn does', () => {
    expect(regressionReport(Float32Array.of(2, 2), Float32Array.of(2, 2)).r2).toBe(1)
    expect(regressionReport(Float32Array.of(2, 3), Float32Array.of(2, 2)).r2).toBe(0)
  })

  it('refuses mismatched or empty inputs', () => {
    expect(() => regressionReport(Float32Array.of(1), Float32Array.of(1, 2))).toThrow(/1 predictions for 2 targets/)
    expect(() => regressionReport(new Float32Array(0), new Float32Array(0))).toThrow(/zero rows/)
  })
})
