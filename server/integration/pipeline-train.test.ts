/**
 * Pipeline training (GPipe) of a segmented MLP across 3 headless workers, each too small to
 * hold the model for training. Its loss per step must follow the same model trained whole in
 * this process (same data, seed, initial weights, steps and micro-batching, tf.train.adam)
 * within 1% for the first 20 steps, and its held-out accuracy must match within 1 point.
 */
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildModel, readWeights, writeWeights } from '../../lib/compute'
import { unpackTensors, type CreateTrainJobBody } from '../../lib/protocol'
import { planFor, scoreHoldout } from '../testing/baseline'
import { startCoordinator, startWorker, stopAll, waitForJob, waitUntil, type Coord } from '../testing/harness'
import { irisCsv } from '../testing/iris'
import { stepRows } from '../pipeline-train'

const iris = irisCsv()
const req = {
  type: 'train' as const,
  target: 'species',
  model: { template: 'mlp' as const, hidden: [64, 64, 64] },
  epochs: 15,
  batchSize: 32,
  learningRate: 0.01,
  validationSplit: 0.1,
  testSplit: 0,
  seed: 7,
  pipeline: { microBatchRows: 16 },
}
let coord: Coord

beforeAll(async () => {
  await tf.setBackend('cpu')
  coord = await startCoordinator()
  for (let i = 0; i < 3; i++) await startWorker(coord.url, { name: `g${i}`, backend: 'cpu', extra: ['--memory', '100KB'] })
  await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === 3, 60_000, '3 workers')
}, 120_000)
afterAll(stopAll)

describe('pipeline training', () => {
  it('follows the whole model loss curve and reaches the same held-out accuracy', async () => {
    const ds = await coord.api.call('POST', '/api/datasets', iris.train)
    const job = await coord.api.call('POST', '/api/jobs', { ...req, datasetId: ds.body.id })
    expect(job.status, JSON.stringify(job.body)).toBe(201)
    const done = await waitForJob(coord, job.body.id, 400_000, 'pipeline training job', 500)
    expect(done.pipeline.segments.length).toBeGreaterThanOrEqual(2)
    const steps = done.history.map((p: { loss: number }) => p.loss)
    expect(steps.length).toBe(done.totalRounds)
    const base = trueBaseline()
    const rel = steps.slice(0, 20).map((l: number, i: number) => Math.abs(l - base.losses[i]) / base.losses[i])
    console.log(`pipeline training: ${done.pipeline.segments.length} segments, ${steps.length} steps, max relative loss difference over the first 20 steps ${Math.max(...rel).toExponential(2)}`)
    for (const r of rel) expect(r).toBeLessThan(0.01)
    const pred = await coord.api.call('POST', `/api/jobs/${job.body.id}/predict`, iris.holdout)
    const acc = pred.body.predictions.filter((p: { label: string }, i: number) => p.label === iris.holdoutLabels[i]).length / 30
    expect(Math.abs(acc - base.accuracy)).toBeLessThanOrEqual(0.01)
    console.log(`held-out accuracy: pipeline ${acc}, whole model ${base.accuracy}`)
    expect(acc).toBeGreaterThanOrEqual(0.9)
  }, 450_000)
})

/** Whole-model training with the loss computed exactly as the pipeline's last stage does (mean categorical cross-entropy). */
function trueBaseline(): { losses: number[]; accuracy: number } {
  const { plan, blobs } = planFor({ csv: iris.train }, { ...req, datasetId: 'local' } as CreateTrainJobBody)
  const [x, y] = unpackTensors(blobs.readArrayBuffer(plan.train.ref.hash))
  const model = buildModel(plan.model, plan.seed)
  writeWeights(model, unpackTensors(blobs.readArrayBuffer(plan.initialWeights.hash)))
  const opt = tf.train.adam(plan.hyper.learningRate)
  const batch = Math.min(plan.hyper.batchSize, plan.train.rows)
  const pt = { batchSize: batch, stepsPerEpoch: Math.ceil(plan.train.rows / batch) }
  const X = tf.tensor2d(x.data, [x.shape[0], x.shape[1]])
  const Y = tf.tensor2d(y.data, [y.shape[0], y.shape[1]])
  const losses: number[] = []
  for (let step = 0; step < plan.totalRounds * pt.stepsPerEpoch; step++) {
    const idx = tf.tensor1d(Array.from(stepRows(plan.train.rows, pt, plan.seed, step)), 'int32')
    const xb = tf.gather(X, idx)
    const yb = tf.gather(Y, idx)
    const cost = opt.minimize(() => tf.metrics.categoricalCrossentropy(yb, model.apply(xb) as tf.Tensor).mean() as tf.Scalar, true)!
    losses.push(cost.dataSync()[0])
    tf.dispose([idx, xb, yb, cost])
  }
  const accuracy = scoreHoldout(plan, readWeights(model), { csv: iris.holdout, labels: iris.holdoutLabels }).accuracy!
  model.dispose()
  return { losses, accuracy }
}
