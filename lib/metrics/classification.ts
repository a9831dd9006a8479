/**
 * The coordinator's classification report from predicted probabilities and true labels:
 * accuracy, macro precision/recall/F1, ROC AUC, the confusion matrix and a ROC curve.
 * Pure (no tfjs), so it is tested by hand-computed cases.
 *
 * Conventions (as scikit-learn's defaults): the prediction is the most probable class (the
 * first on ties); macro averages run over the classes that occur in the labels or the
 * predictions, a 0/0 precision or recall counting 0; F1 is the mean of per-class F1s.
 * AUC: binary = class 1's probability against the rest; more classes = the macro mean of
 * one-vs-rest AUCs, null if any class is absent from the labels. The ROC curve is class 1's
 * for binary problems, class 0 vs the rest otherwise.
 */
import { NimbleError } from '../protocol'
import { rocAuc, rocCurve, type RocCurve } from './roc'

export type ClassificationReport = {
  accuracy: number
  precision: number
  recall: number
  f1: number
  auc: number | null
  /** confusion[actual][predicted] */
  confusion: number[][]
  roc: RocCurve | null
}

export function classificationReport(probs: Float32Array, labels: Int32Array, classes: number): ClassificationReport {
  const n = labels.length
  if (!Number.isInteger(classes) || classes < 1) throw bad(`classes must be a positive integer, got ${classes}`)
  if (probs.length !== n * classes) throw bad(`probs holds ${probs.length} values; ${n} rows of ${classes} classes need ${n * classes}`)
  if (n === 0) throw bad('cannot report on zero rows')
  for (let i = 0; i < n; i++) if (!(labels[i] >= 0 && labels[i] < classes)) throw bad(`label ${labels[i]} at row ${i} is not a class in 0..${classes - 1}`)

  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0))
  let correct = 0
  for (let i = 0; i < n; i++) {
    let best = 0
    for (let c = 1; c < classes; c++) if (probs[i * classes + c] > probs[i * classes + best]) best = c
    confusion[labels[i]][best]++
    if (best === labels[i]) correct++
  }

  let precision = 0
  let recall = 0
  let f1 = 0
  let counted = 0
  for (let c = 0; c < classes; c++) {
    const tp = confusion[c][c]
    const actual = confusion[c].reduce((a, b) => a + b, 0)
    const predicted = confusion.reduce((a, row) => a + row[c], 0)
    if (actual === 0 && predicted === 0) continue
    const p = predicted > 0 ? tp / predicted : 0
    const r = actual > 0 ? tp / actual : 0
    precision += p
    recall += r
    f1 += p + r > 0 ? (2 * p * r) / (p + r) : 0
    counted++
  }

  const column = (c: number) => Float64Array.from({ length: n }, (_, i) => probs[i * classes + c])
  const is = (c: number) => Array.from(labels, (l) => l === c)
  let auc: number | null = null
  let roc: RocCurve | null = null
  if (classes === 2) {
    auc = rocAuc(column(1), is(1))
    roc = rocCurve(column(1), is(1))
  } else if (classes > 2) {
    const aucs = Array.from({ length: classes }, (_, c) => rocAuc(column(c), is(c)))
    auc = aucs.every((a) => a !== null) ? (aucs as number[]).reduce((a, b) => a + b, 0) / classes : null
    roc = rocCurve(column(0), is(0))
  }
  return { accuracy: correct / n, precision: precision / counted, recall: recall / counted, f1: f1 / counted, auc, confusion, roc }
}

function bad(message: string): NimbleError {
  return new NimbleError({ code: 'bad_request', message: `classification report: ${message}` })
}
