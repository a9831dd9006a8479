/**
 * The coordinator's regression report: mean squared error, mean absolute error and R²
 * (1 − SS_res / SS_tot; when the targets are all equal, 1 for a perfect fit and 0 otherwise,
 * as scikit-learn does). Pure, float64 sums.
 */
import { NimbleError } from '../protocol'

export type RegressionReport = { mse: number; mae: number; r2: number }

export function regressionReport(pred: Float32Array, actual: Float32Array): RegressionReport {
  const n = actual.length
  if (pred.length !== n) throw new NimbleError({ code: 'bad_request', message: `regression report: ${pred.length} predictions for ${n} targets` })
  if (n === 0) throw new NimbleError({ code: 'bad_request', message: 'regression report: cannot report on zero rows' })
  let mean = 0
  for (let i = 0; i < n; i++) mean += actual[i]
  mean /= n
  let ssRes = 0
  let ssTot = 0
  let abs = 0
  for (let i = 0; i < n; i++) {
    const e = pred[i] - actual[i]
    ssRes += e * e
    abs += Math.abs(e)
    ssTot += (actual[i] - mean) ** 2
  }
  const r2 = ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0
  return { mse: ssRes / n, mae: abs / n, r2 }
}
