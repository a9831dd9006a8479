/** The job form's raw inputs and their defaults (the coordinator's own defaults, so unchanged fields need not be sent). Pure. */
import type { DatasetView, Optimizer, Template } from '@/lib/protocol'

export type TaskChoice = 'auto' | 'classification' | 'regression'
export type ScheduleType = 'constant' | 'step' | 'exponential' | 'cosine'
export type AlgorithmType = 'fedavg' | 'diloco'

export type JobFormValues = {
  name: string
  target: string
  task: TaskChoice
  template: Template
  hidden: string
  /** custom: the id POST /api/models returned. */
  modelId: string
  epochs: string
  batchSize: string
  learningRate: string
  // Advanced
  dropout: string
  filters: string
  optimizer: Optimizer
  momentum: string
  scheduleType: ScheduleType
  gamma: string
  stepRounds: string
  minLearningRate: string
  earlyStopping: boolean
  patience: string
  minDelta: string
  classWeights: 'none' | 'balanced'
  /** Empty: the coordinator's default bucket count. */
  textFeatures: string
  textWeighting: 'tfidf' | 'count' | 'binary'
  algorithm: AlgorithmType
  outerLearningRate: string
  outerMomentum: string
  localMode: 'epochs' | 'steps'
  localEpochs: string
  localSteps: string
  validationSplit: string
  testSplit: string
  seed: string
  /** Tokens; empty: no limit. */
  budget: string
  /** Minutes from submission; empty: none. */
  deadlineMinutes: string
}

export type JobFormField = keyof JobFormValues
/** Fields edited through text, number and select controls. */
export type StringField = { [K in JobFormField]: JobFormValues[K] extends string ? K : never }[JobFormField]
export type FieldErrors = Partial<Record<JobFormField, string>>

/** The coordinator's default learning rate per template (server/plan-job.ts). */
export const DEFAULT_LR: Record<Template, string> = { logistic: '0.05', linear: '0.05', mlp: '0.05', cnn: '0.005', custom: '0.01' }

export const DEFAULT_VALUES: Omit<JobFormValues, 'target' | 'template' | 'learningRate'> = {
  name: '',
  task: 'auto',
  hidden: '16',
  modelId: '',
  epochs: '30',
  batchSize: '16',
  dropout: '0',
  filters: '16, 32',
  optimizer: 'adam',
  momentum: '0.9',
  scheduleType: 'constant',
  gamma: '0.5',
  stepRounds: '10',
  minLearningRate: '0',
  earlyStopping: false,
  patience: '5',
  minDelta: '0',
  classWeights: 'none',
  textFeatures: '',
  textWeighting: 'tfidf',
  algorithm: 'fedavg',
  outerLearningRate: '0.7',
  outerMomentum: '0.9',
  localMode: 'epochs',
  localEpochs: '1',
  localSteps: '50',
  validationSplit: '0.2',
  testSplit: '0.15',
  seed: '42',
  budget: '',
  deadlineMinutes: '',
}

/** The label of an image dataset is its folder; the body still names a target. */
export const IMAGE_TARGET = 'label'

export function initialValues(dataset: DatasetView): JobFormValues {
  const template: Template = dataset.kind === 'images' ? 'cnn' : 'logistic'
  const target = dataset.kind === 'images' ? IMAGE_TARGET : (dataset.columns.at(-1)?.name ?? '')
  return { ...DEFAULT_VALUES, target, template, learningRate: DEFAULT_LR[template] }
}

/** Changing the template moves the learning rate to the new template's default, unless the owner set their own. */
export function withTemplate(v: JobFormValues, template: Template): JobFormValues {
  const lr = v.learningRate.trim() === DEFAULT_LR[v.template] ? DEFAULT_LR[template] : v.learningRate
  return { ...v, template, learningRate: lr }
}

/** Choosing a task moves a template that cannot do it to one that can. */
export function withTask(v: JobFormValues, task: TaskChoice): JobFormValues {
  const next = { ...v, task }
  if (task === 'regression' && v.template === 'logistic') return withTemplate(next, 'linear')
  if (task === 'classification' && v.template === 'linear') return withTemplate(next, 'logistic')
  return next
}

/** Fields inside the "Advanced" disclosure: an error in one opens it. */
export const ADVANCED_FIELDS: readonly JobFormField[] = [
  'dropout', 'filters', 'optimizer', 'momentum', 'scheduleType', 'gamma', 'stepRounds', 'minLearningRate', 'earlyStopping',
  'patience', 'minDelta', 'classWeights', 'textFeatures', 'textWeighting', 'algorithm', 'outerLearningRate', 'outerMomentum',
  'localMode', 'localEpochs', 'localSteps', 'validationSplit', 'testSplit', 'seed',
]
