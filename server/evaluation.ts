/**
 * The coordinator's own evaluation of a set of weights on one split: loss, and the full
 * report (classification: accuracy, precision, recall, F1, AUC, confusion, ROC; regression:
 * MSE, MAE, R² in the target's own units). Devices' figures are never used for this.
 */
import { evaluate, predictOutputs } from '../lib/compute'
import { unscaleTarget } from '../lib/data'
import { classificationReport, regressionReport } from '../lib/metrics'
import type { EvalReport, Metrics, NamedTensor } from '../lib/protocol'
import { isImagePrep, type DataPart, type Plan } from './plan-job'
import type { TensorCache } from './tensor-cache'

/** Training-set figures are computed on at most this many rows per round. */
const TRAIN_EVAL_ROWS = 4096

export function evaluatePart(plan: Plan, tensors: TensorCache, weights: NamedTensor[], part: DataPart, cap = Infinity): EvalReport | null {
  if (part.rows === 0) return null
  const x = tensors.tensor(part.ref.hash, 'x')
  const y = tensors.tensor(part.ref.hash, 'y')
  const n = Math.min(part.rows, cap)
  const xs = x.data.subarray(0, n * x.shape[1])
  const ys = y.data.subarray(0, n * y.shape[1])
  const { loss } = evaluate(plan.model, weights, xs, ys, n)
  const out = predictOutputs(plan.model, weights, xs, n)
  if (plan.task === 'regression') {
    const unscale = (v: Float32Array) => (isImagePrep(plan.prep) ? v : Float32Array.from(v, (s) => unscaleTarget(plan.prep as Exclude<Plan['prep'], { kind: 'image' }>, s)))
    return { rows: n, loss, ...regressionReport(unscale(out), unscale(ys)) }
  }
  const k = y.shape[1]
  const labels = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    let best = 0
    for (let c = 1; c < k; c++) if (ys[i * k + c] > ys[i * k + best]) best = c
    labels[i] = best
  }
  return { rows: n, loss, ...classificationReport(out, labels, k) }
}

/** The round's scalar figures for the curves, and the full validation report. */
export function roundMetrics(plan: Plan, tensors: TensorCache, weights: NamedTensor[]): { metrics: Metrics; validation: EvalReport | null } {
  const train = evaluatePart(plan, tensors, weights, plan.train, TRAIN_EVAL_ROWS)
  const val = evaluatePart(plan, tensors, weights, plan.validation)
  return {
    metrics: {
      loss: train?.loss ?? null,
      accuracy: train?.accuracy ?? null,
      valLoss: val?.loss ?? null,
      valAccuracy: val?.accuracy ?? null,
      valF1: val?.f1 ?? null,
      valAuc: val?.auc ?? null,
      valMae: val?.mae ?? null,
      valR2: val?.r2 ?? null,
    },
    validation: val ? { ...val, roc: null } : null,
  }
}
