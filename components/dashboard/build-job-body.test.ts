import { describe, expect, it } from 'vitest'
import type { DatasetView } from '@/lib/protocol'
import { buildJobBody } from './build-job-body'
import { initialValues, withTask, withTemplate, type JobFormValues } from './job-form-values'
import { fieldFor } from './server-field'

const table: DatasetView = {
  id: 'ds_1',
  name: 'houses.csv',
  kind: 'table',
  image: null,
  rows: 100,
  bytes: 1000,
  columns: [
    { name: 'id', type: 'numeric', missing: 0, distinct: 100 },
    { name: 'notes', type: 'text', missing: 0, distinct: 90 },
    { name: 'price', type: 'numeric', missing: 0, distinct: 80 },
  ],
  preview: [],
  createdAt: '2025-01-01T00:00:00Z',
}
const images: DatasetView = { ...table, id: 'ds_2', kind: 'images', columns: [], image: { width: 28, height: 28, channels: 1, classes: ['0', '1'], counts: [5, 5] } }

const body = (ds: DatasetView, v: Partial<JobFormValues> = {}, roles = {}) => {
  const out = buildJobBody(ds, roles, { ...initialValues(ds), ...v })
  if ('errors' in out) throw new Error(JSON.stringify(out.errors))
  return out.body
}

describe('buildJobBody', () => {
  it('sends only the basic fields when nothing advanced changed', () => {
    expect(body(table)).toEqual({ type: 'train', datasetId: 'ds_1', target: 'price', model: { template: 'logistic' }, epochs: 30, batchSize: 16, learningRate: 0.05 })
  })

  it('sends changed column roles, task and advanced options', () => {
    const b = body(
      table,
      { task: 'regression', template: 'linear', optimizer: 'momentum', momentum: '0.8', scheduleType: 'cosine', earlyStopping: true, patience: '3', algorithm: 'diloco', outerMomentum: '0.5', localMode: 'steps', localSteps: '20', testSplit: '0.1', textWeighting: 'count' },
      { id: 'ignore' },
    )
    expect(b).toMatchObject({
      task: 'regression',
      columns: { id: 'ignore' },
      optimizer: 'momentum',
      momentum: 0.8,
      schedule: { type: 'cosine' },
      earlyStopping: { patience: 3 },
      algorithm: { type: 'diloco', outerMomentum: 0.5 },
      localSteps: 20,
      testSplit: 0.1,
      text: { weighting: 'count' },
    })
    expect(b).not.toHaveProperty('validationSplit')
    expect(b).not.toHaveProperty('seed')
    expect(b.algorithm).not.toHaveProperty('outerLearningRate')
  })

  it('defaults an image dataset to a cnn on the folder label and sends filters only when changed', () => {
    expect(body(images)).toMatchObject({ target: 'label', model: { template: 'cnn' }, learningRate: 0.005 })
    expect(body(images, { filters: '8, 16, 32', dropout: '0.25' }).model).toEqual({ template: 'cnn', filters: [8, 16, 32], dropout: 0.25 })
    expect(body(images)).not.toHaveProperty('task')
  })

  it('names the field of each bad input', () => {
    const out = buildJobBody(table, { price: 'ignore' }, { ...initialValues(table), template: 'cnn', gamma: '2', scheduleType: 'step', validationSplit: '0.5', testSplit: '0.45', algorithm: 'diloco', outerLearningRate: '0' })
    expect('errors' in out && out.errors).toMatchObject({
      target: expect.any(String),
      template: expect.any(String),
      gamma: expect.any(String),
      testSplit: expect.any(String),
      outerLearningRate: expect.any(String),
    })
  })

  it('needs an uploaded model for the custom template', () => {
    const out = buildJobBody(table, {}, withTemplate(initialValues(table), 'custom'))
    expect('errors' in out && out.errors.modelId).toBeTruthy()
    expect(body(table, { template: 'custom', modelId: 'mdl_x', learningRate: '0.01' }).model).toEqual({ template: 'custom', modelId: 'mdl_x' })
  })
})

describe('form transitions', () => {
  it('moves the untouched learning rate with the template, and the template with the task', () => {
    expect(withTemplate(initialValues(table), 'cnn').learningRate).toBe('0.005')
    expect(withTemplate({ ...initialValues(table), learningRate: '0.3' }, 'cnn').learningRate).toBe('0.3')
    expect(withTask(initialValues(table), 'regression').template).toBe('linear')
  })
})

describe('fieldFor', () => {
  it('maps server field paths to form fields', () => {
    expect(fieldFor('schedule.gamma', 'invalid_body')).toBe('gamma')
    expect(fieldFor('model.hidden.0', 'invalid_body')).toBe('hidden')
    expect(fieldFor('model.modelId', 'not_found')).toBe('modelId')
    expect(fieldFor('earlyStopping', 'invalid_body')).toBe('patience')
    expect(fieldFor('testSplit', 'invalid_body')).toBe('testSplit')
    expect(fieldFor('columns.age', 'invalid_body')).toBeNull()
    expect(fieldFor(undefined, 'unknown_column')).toBe('target')
  })
})
