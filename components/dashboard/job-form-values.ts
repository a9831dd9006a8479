/** The job form's raw inputs, their checks, and the CreateTrainJobBody they become. Pure. */
import type { CreateTrainJobBody } from '@/lib/protocol'

export type JobFormValues = {
  name: string
  target: string
  template: 'logistic' | 'mlp'
  hidden: string
  epochs: string
  batchSize: string
  learningRate: string
}

export type JobFormField = keyof JobFormValues
export type FieldErrors = Partial<Record<JobFormField, string>>

export const DEFAULT_VALUES: Omit<JobFormValues, 'target'> = {
  name: '',
  template: 'logistic',
  hidden: '16',
  epochs: '30',
  batchSize: '16',
  learningRate: '0.05',
}

function int(raw: string, min: number, max: number): number | null {
  const n = Number(raw.trim())
  return raw.trim() !== '' && Number.isInteger(n) && n >= min && n <= max ? n : null
}

export function buildJobBody(datasetId: string, v: JobFormValues): { body: CreateTrainJobBody } | { errors: FieldErrors } {
  const errors: FieldErrors = {}
  if (!v.target) errors.target = 'Choose the column to predict.'

  let hidden: number[] | undefined
  if (v.template === 'mlp') {
    const parts = v.hidden.split(',').map((s) => s.trim()).filter(Boolean)
    const sizes = parts.map((p) => int(p, 1, 4096))
    if (parts.length === 0 || parts.length > 8 || sizes.some((s) => s === null)) {
      errors.hidden = 'Give 1 to 8 layer sizes between 1 and 4096, separated by commas (e.g. 32, 16).'
    } else hidden = sizes as number[]
  }

  const epochs = int(v.epochs, 1, 1000)
  if (epochs === null) errors.epochs = 'Rounds must be a whole number from 1 to 1000.'
  const batchSize = int(v.batchSize, 1, 65_536)
  if (batchSize === null) errors.batchSize = 'Batch size must be a whole number from 1 to 65536.'
  const learningRate = Number(v.learningRate)
  if (!(learningRate > 0 && learningRate <= 10)) errors.learningRate = 'Learning rate must be above 0 and at most 10.'
  if (v.name.length > 200) errors.name = 'Keep the name under 200 characters.'

  if (Object.keys(errors).length > 0) return { errors }
  return {
    body: {
      type: 'train',
      datasetId,
      target: v.target,
      model: { template: v.template, ...(hidden ? { hidden } : {}) },
      epochs: epochs!,
      batchSize: batchSize!,
      learningRate,
      ...(v.name.trim() ? { name: v.name.trim() } : {}),
    },
  }
}

/** Which form field a server-side error (`error.field`, e.g. "model.hidden.0") belongs to. */
export function fieldFor(serverField: string | undefined, code: string): JobFormField | null {
  if (code === 'unknown_column' || code === 'non_numeric_value') return 'target'
  if (!serverField) return null
  const f = serverField.replace(/^body\./, '')
  if (f.startsWith('model.hidden')) return 'hidden'
  if (f.startsWith('model')) return 'template'
  const top = f.split(/[.[]/)[0] as string
  const known: JobFormField[] = ['name', 'target', 'epochs', 'batchSize', 'learningRate']
  return (known as string[]).includes(top) ? (top as JobFormField) : null
}
