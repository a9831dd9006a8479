/** Which job-form field a server error belongs to (`error.field`, e.g. "schedule.gamma"). Pure. */
import type { JobFormField } from './job-form-values'

const EXACT: Record<string, JobFormField> = {
  'model.hidden': 'hidden',
  'model.dropout': 'dropout',
  'model.filters': 'filters',
  'model.modelId': 'modelId',
  'model.template': 'template',
  model: 'template',
  'text.features': 'textFeatures',
  'text.weighting': 'textWeighting',
  text: 'textFeatures',
  'schedule.type': 'scheduleType',
  'schedule.gamma': 'gamma',
  'schedule.stepRounds': 'stepRounds',
  'schedule.minLearningRate': 'minLearningRate',
  schedule: 'scheduleType',
  'earlyStopping.patience': 'patience',
  'earlyStopping.minDelta': 'minDelta',
  earlyStopping: 'patience',
  'algorithm.type': 'algorithm',
  'algorithm.outerLearningRate': 'outerLearningRate',
  'algorithm.outerMomentum': 'outerMomentum',
  algorithm: 'algorithm',
}

const TOP: readonly JobFormField[] = [
  'name', 'target', 'task', 'epochs', 'batchSize', 'learningRate', 'optimizer', 'momentum', 'classWeights',
  'localEpochs', 'localSteps', 'validationSplit', 'testSplit', 'seed',
]

export function fieldFor(serverField: string | undefined, code: string): JobFormField | null {
  if (code === 'unknown_column' || code === 'non_numeric_value') return 'target'
  if (!serverField) return null
  const f = serverField.replace(/^body\./, '')
  // "model.hidden.0" → "model.hidden"; "columns.age" has no form field (the table is outside the form).
  const parts = f.split(/[.[\]]/).filter(Boolean)
  for (let n = Math.min(parts.length, 2); n > 0; n--) {
    const hit = EXACT[parts.slice(0, n).join('.')]
    if (hit) return hit
  }
  const top = parts[0] as JobFormField | undefined
  return top && TOP.includes(top) ? top : null
}
