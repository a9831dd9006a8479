/**
 * Per-class loss weights for imbalanced data (fraud, churn, spam): the training
 * rows' labels go in, one weight per class index comes out for TrainHyper.classWeights.
 * `balanced` is scikit-learn's rule, n / (k × count of the class); a class with no
 * training rows keeps weight 1. An explicit record is keyed by class label.
 */
import { NimbleError } from '../protocol'
import { listNames } from './cells'

export type ClassWeightsMode = 'none' | 'balanced' | Record<string, number>

/** One weight per class index, or undefined for 'none' (every class weighs 1). */
export function classWeights(labels: Int32Array, classCount: number, mode: ClassWeightsMode, classes: string[]): number[] | undefined {
  if (mode === 'none') return undefined
  if (!Number.isInteger(classCount) || classCount < 1 || classes.length !== classCount) {
    throw new NimbleError({ code: 'bad_request', message: `Got ${classes.length} class names for ${classCount} classes; give one name per class.`, field: 'classes' })
  }
  if (mode === 'balanced') return balanced(labels, classCount)
  const index = new Map(classes.map((c, k) => [c, k]))
  const weights = new Array<number>(classCount).fill(1)
  for (const [label, weight] of Object.entries(mode)) {
    const k = index.get(label)
    if (k === undefined) {
      throw new NimbleError({
        code: 'invalid_body',
        message: `classWeights names the class "${label}", which the target does not have. Its classes are: ${listNames(classes, 20)}.`,
        field: `classWeights.${label}`,
      })
    }
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new NimbleError({ code: 'invalid_body', message: `The weight of class "${label}" must be a positive number, got ${weight}.`, field: `classWeights.${label}` })
    }
    weights[k] = weight
  }
  return weights
}

function balanced(labels: Int32Array, classCount: number): number[] {
  const counts = new Array<number>(classCount).fill(0)
  for (const label of labels) {
    if (label < 0 || label >= classCount) {
      throw new NimbleError({ code: 'bad_request', message: `Label ${label} is outside the ${classCount} classes.`, field: 'labels' })
    }
    counts[label]!++
  }
  const n = labels.length
  return counts.map((count) => (count === 0 ? 1 : n / (classCount * count)))
}
