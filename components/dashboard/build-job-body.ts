/**
 * Checks the job form's raw values and turns them into a CreateTrainJobBody. Pure.
 * The basic fields are always sent; advanced ones only when they differ from the
 * coordinator's defaults, so the stored request says what the owner actually chose.
 */
import type { CreateTrainJobBody, DatasetView } from '@/lib/protocol'
import type { ColumnRoles } from './column-roles'
import { DEFAULT_VALUES as D, type FieldErrors, type JobFormValues } from './job-form-values'

function int(raw: string, min: number, max: number): number | null {
  const n = Number(raw.trim())
  return raw.trim() !== '' && Number.isInteger(n) && n >= min && n <= max ? n : null
}

/** A finite number in [min, max] (or (min, max] when `aboveMin`). */
function num(raw: string, min: number, max: number, aboveMin = false): number | null {
  const n = Number(raw.trim())
  if (raw.trim() === '' || !Number.isFinite(n) || n > max) return null
  return aboveMin ? (n > min ? n : null) : n >= min ? n : null
}

function intList(raw: string, min: number, max: number, maxLen: number): number[] | null {
  const parts = raw.split(',').map((s) => s.trim()).filter(Boolean)
  const sizes = parts.map((p) => int(p, min, max))
  return parts.length === 0 || parts.length > maxLen || sizes.some((s) => s === null) ? null : (sizes as number[])
}

const changed = (v: JobFormValues, k: keyof typeof D) => String(v[k]).trim() !== String(D[k])

type Ctx = { dataset: DatasetView; roles: ColumnRoles; errors: FieldErrors }

function modelPart(v: JobFormValues, { dataset, errors }: Ctx): CreateTrainJobBody['model'] {
  const model: CreateTrainJobBody['model'] = { template: v.template }
  const images = dataset.kind === 'images'
  if (v.template === 'cnn' && !images) errors.template = 'The CNN template needs an image dataset (a zip of class folders); use MLP for tables.'
  if (v.template === 'linear' && images) errors.template = 'Images are a classification task; choose CNN, MLP or a custom model.'
  if (v.template === 'linear' && v.task === 'classification') errors.template = 'Linear regression predicts a number; choose Logistic or MLP for classification.'
  if (v.template === 'logistic' && v.task === 'regression') errors.template = 'Logistic regression predicts classes; choose Linear regression or MLP for a number.'
  if (v.template === 'mlp') {
    const hidden = intList(v.hidden, 1, 4096, 8)
    if (!hidden) errors.hidden = 'Give 1 to 8 layer sizes between 1 and 4096, separated by commas (e.g. 32, 16).'
    else model.hidden = hidden
  }
  if ((v.template === 'mlp' || v.template === 'cnn') && changed(v, 'dropout')) {
    const dropout = num(v.dropout, 0, 0.9)
    if (dropout === null) errors.dropout = 'Dropout must be from 0 to 0.9.'
    else model.dropout = dropout
  }
  if (v.template === 'cnn' && changed(v, 'filters')) {
    const filters = intList(v.filters, 1, 512, 4)
    if (!filters) errors.filters = 'Give 1 to 4 filter counts between 1 and 512, separated by commas (e.g. 16, 32).'
    else model.filters = filters
  }
  if (v.template === 'custom') {
    if (!v.modelId) errors.modelId = 'Upload your model.json first.'
    else model.modelId = v.modelId
  }
  return model
}

function trainingPart(v: JobFormValues, errors: FieldErrors): Partial<CreateTrainJobBody> {
  const out: Partial<CreateTrainJobBody> = {}
  if (v.optimizer !== D.optimizer) out.optimizer = v.optimizer
  if (v.optimizer === 'momentum' && changed(v, 'momentum')) {
    const m = num(v.momentum, 0, 0.999)
    if (m === null) errors.momentum = 'Momentum must be from 0 to 0.999.'
    else out.momentum = m
  }
  if (v.scheduleType !== 'constant') {
    const schedule: NonNullable<CreateTrainJobBody['schedule']> = { type: v.scheduleType }
    if ((v.scheduleType === 'step' || v.scheduleType === 'exponential') && changed(v, 'gamma')) {
      const g = num(v.gamma, 0, 1, true)
      if (g === null) errors.gamma = 'Gamma must be above 0 and at most 1.'
      else schedule.gamma = g
    }
    if (v.scheduleType === 'step' && changed(v, 'stepRounds')) {
      const s = int(v.stepRounds, 1, 1000)
      if (s === null) errors.stepRounds = 'Step every 1 to 1000 rounds.'
      else schedule.stepRounds = s
    }
    if (v.scheduleType === 'cosine' && changed(v, 'minLearningRate')) {
      const m = num(v.minLearningRate, 0, 10)
      if (m === null) errors.minLearningRate = 'The minimum learning rate must be from 0 to 10.'
      else schedule.minLearningRate = m
    }
    out.schedule = schedule
  }
  if (v.earlyStopping) {
    const patience = int(v.patience, 1, 1000)
    if (patience === null) errors.patience = 'Patience must be a whole number of rounds from 1 to 1000.'
    const minDelta = changed(v, 'minDelta') ? num(v.minDelta, 0, 1e6) : undefined
    if (minDelta === null) errors.minDelta = 'Min delta must be 0 or more.'
    if (patience !== null && minDelta !== null) out.earlyStopping = { patience, ...(minDelta !== undefined ? { minDelta } : {}) }
  }
  return out
}

function dataPart(v: JobFormValues, { dataset, roles, errors }: Ctx): Partial<CreateTrainJobBody> {
  const out: Partial<CreateTrainJobBody> = {}
  if (dataset.kind === 'table') {
    const columns = Object.fromEntries(Object.entries(roles).filter(([name]) => dataset.columns.some((c) => c.name === name)))
    if (columns[v.target] === 'ignore') errors.target = 'The column to predict is set to Ignore; change its "Use as" first.'
    if (Object.keys(columns).length) out.columns = columns
    if (v.textFeatures.trim() !== '' || v.textWeighting !== D.textWeighting) {
      const features = v.textFeatures.trim() === '' ? undefined : int(v.textFeatures, 16, 65_536)
      if (features === null) errors.textFeatures = 'Text features must be a whole number from 16 to 65536.'
      else out.text = { ...(features !== undefined ? { features } : {}), ...(v.textWeighting !== D.textWeighting ? { weighting: v.textWeighting } : {}) }
    }
  }
  if (v.classWeights !== D.classWeights && v.task !== 'regression') out.classWeights = v.classWeights
  const split = (k: 'validationSplit' | 'testSplit', label: string) => {
    if (!changed(v, k)) return Number(D[k])
    const s = num(v[k], 0, 0.5)
    if (s === null) errors[k] = `${label} must be from 0 to 0.5 (a share of the rows).`
    else out[k] = s
    return s
  }
  const val = split('validationSplit', 'The validation share')
  const test = split('testSplit', 'The test share')
  if (val !== null && test !== null && val + test >= 0.9) errors.testSplit = 'Validation and test together must leave at least 10% of the rows for training.'
  if (changed(v, 'seed')) {
    const seed = int(v.seed, -2_147_483_648, 2_147_483_647)
    if (seed === null) errors.seed = 'The seed must be a whole number.'
    else out.seed = seed
  }
  return out
}

function federatedPart(v: JobFormValues, errors: FieldErrors): Partial<CreateTrainJobBody> {
  const out: Partial<CreateTrainJobBody> = {}
  if (v.algorithm === 'diloco') {
    const algorithm: NonNullable<CreateTrainJobBody['algorithm']> = { type: 'diloco' }
    if (changed(v, 'outerLearningRate')) {
      const lr = num(v.outerLearningRate, 0, 10, true)
      if (lr === null) errors.outerLearningRate = 'The outer learning rate must be above 0 and at most 10.'
      else algorithm.outerLearningRate = lr
    }
    if (changed(v, 'outerMomentum')) {
      const m = num(v.outerMomentum, 0, 0.999)
      if (m === null) errors.outerMomentum = 'The outer momentum must be from 0 to 0.999.'
      else algorithm.outerMomentum = m
    }
    out.algorithm = algorithm
  }
  if (v.localMode === 'steps') {
    const steps = int(v.localSteps, 1, 100_000)
    if (steps === null) errors.localSteps = 'Local steps must be a whole number from 1 to 100000.'
    else out.localSteps = steps
  } else if (changed(v, 'localEpochs')) {
    const e = int(v.localEpochs, 1, 100)
    if (e === null) errors.localEpochs = 'Local epochs must be a whole number from 1 to 100.'
    else out.localEpochs = e
  }
  return out
}

export function buildJobBody(
  dataset: DatasetView,
  roles: ColumnRoles,
  v: JobFormValues,
): { body: CreateTrainJobBody } | { errors: FieldErrors } {
  const errors: FieldErrors = {}
  const ctx: Ctx = { dataset, roles, errors }
  if (!v.target) errors.target = 'Choose the column to predict.'
  const model = modelPart(v, ctx)
  const epochs = int(v.epochs, 1, 1000)
  if (epochs === null) errors.epochs = 'Rounds must be a whole number from 1 to 1000.'
  const batchSize = int(v.batchSize, 1, 65_536)
  if (batchSize === null) errors.batchSize = 'Batch size must be a whole number from 1 to 65536.'
  const learningRate = num(v.learningRate, 0, 10, true)
  if (learningRate === null) errors.learningRate = 'Learning rate must be above 0 and at most 10.'
  if (v.name.length > 200) errors.name = 'Keep the name under 200 characters.'
  const limits: { budget?: number; deadlineMinutes?: number } = {}
  if (v.budget.trim()) {
    const b = num(v.budget, 0, 1e12, true)
    if (b === null) errors.budget = 'The budget is a number of tokens above 0 (leave empty for no limit).'
    else limits.budget = b
  }
  if (v.deadlineMinutes.trim()) {
    const d = num(v.deadlineMinutes, 0, 60 * 24 * 30, true)
    if (d === null) errors.deadlineMinutes = 'The deadline is a number of minutes above 0, at most 30 days (leave empty for none).'
    else limits.deadlineMinutes = d
  }
  const rest = { ...trainingPart(v, errors), ...dataPart(v, ctx), ...federatedPart(v, errors) }

  if (Object.keys(errors).length > 0) return { errors }
  return {
    body: {
      type: 'train',
      datasetId: dataset.id,
      target: v.target,
      model,
      ...(v.task !== 'auto' && dataset.kind === 'table' ? { task: v.task } : {}),
      epochs: epochs!,
      batchSize: batchSize!,
      learningRate: learningRate!,
      ...rest,
      ...limits,
      ...(v.name.trim() ? { name: v.name.trim() } : {}),
    },
  }
}
