/**
 * A model too big for any one device, run as a pipeline: 16 Dense layers, more than 10 times
 * each worker's declared memory, cut into segments across 4 headless workers. Its outputs
 * must match model.predict of the whole model in one process to 1e-4, also when a stage's
 * worker is killed mid-run.
 */
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRng } from '../../lib/data'
import { startCoordinator, startWorker, stopAll, waitForJob, waitUntil, type Coord, type Proc } from '../testing/harness'

const LAYERS = 16
const WIDTH = 128
const FEATURES = 32
const MEMORY = '80KB'
const BUDGET = 80 * 1000
const MICRO_BATCH = 8

let coord: Coord
const workers: Proc[] = []
let modelId = ''
let datasetId = ''
let expected: Float32Array
let rows = 0

function bigModel(): tf.Sequential {
  const m = tf.sequential()
  for (let i = 0; i < LAYERS; i++) {
    m.add(tf.layers.dense({ units: i === LAYERS - 1 ? 5 : WIDTH, activation: i === LAYERS - 1 ? 'softmax' : 'tanh', inputShape: i === 0 ? [FEATURES] : undefined, kernelInitializer: tf.initializers.glorotUniform({ seed: 100 + i }) }))
  }
  return m
}

beforeAll(async () => {
  await tf.setBackend('cpu')
  coord = await startCoordinator()
  for (let i = 0; i < 4; i++) workers.push(await startWorker(coord.url, { name: `s${i}`, backend: 'cpu', extra: ['--memory', MEMORY] }))
  await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === 4, 60_000, '4 workers')

  // The owner saves the model straight to Nimble, as tfjs does it: multipart model.json + weights.
  const model = bigModel()
  const params = model.countParams()
  expect(params * 4).toBeGreaterThan(10 * BUDGET)
  const saved = await model.save(tf.io.http(`${coord.url}/api/models`, { requestInit: { headers: { authorization: `Bearer ${coord.key}` } } }))
  const body = JSON.parse(await (saved.responses![0] as Response).text())
  modelId = body.id
  expect(body.params).toBe(params)

  const rng = createRng(5)
  rows = 120
  const x = new Float32Array(rows * FEATURES).map(() => rng() * 2 - 1)
  const header = Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(',')
  const csv = [header, ...Array.from({ length: rows }, (_, i) => Array.from(x.subarray(i * FEATURES, (i + 1) * FEATURES)).join(','))].join('\n')
  datasetId = (await coord.api.call('POST', '/api/datasets', csv)).body.id
  expected = (model.predict(tf.tensor2d(x, [rows, FEATURES])) as tf.Tensor).dataSync() as Float32Array
}, 180_000)

afterAll(stopAll)

async function runPipeline(onRunning?: (job: any) => Promise<void>) {
  const job = await coord.api.call('POST', '/api/jobs', { type: 'infer', modelId, datasetId, microBatchRows: MICRO_BATCH })
  expect(job.status, JSON.stringify(job.body)).toBe(201)
  const id = job.body.id
  if (onRunning) await onRunning(id)
  const done = await waitForJob(coord, id, 240_000, 'pipeline job')
  const out = (await coord.api.call('GET', `/api/jobs/${id}/outputs`)).body
  return { done, out }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

describe('pipeline inference', () => {
  it('cuts the model into segments that fit the devices and matches model.predict to 1e-4', async () => {
    const { done, out } = await runPipeline()
    const p = done.pipeline
    expect(p.segments.length).toBeGreaterThanOrEqual(4)
    expect(new Set(p.segments.flatMap((s: { ranOn: string[] }) => s.ranOn)).size).toBe(4)
    for (const s of p.segments) expect(s.memoryBytes).toBeLessThanOrEqual(BUDGET)
    expect(p.microBatches).toBe(Math.ceil(rows / MICRO_BATCH))
    expect(out.shape).toEqual([rows, 5])
    expect(maxDiff(out.data, expected)).toBeLessThan(1e-4)
  }, 300_000)

  it('gives the same outputs when a stage worker is killed mid-run', async () => {
    let killed = ''
    const { done, out } = await runPipeline(async (id) => {
      const net = (await coord.api.call('GET', '/api/network')).body
      killed = net.devices.find((d: { name: string }) => d.name === 's1').id
      await waitUntil(async () => (await coord.api.call('GET', `/api/jobs/${id}`)).body.progress > 0.2, 60_000, 'progress', 50)
      await workers[1].kill('SIGKILL')
    })
    // The stages planned on the lost device were taken over by the others.
    const moved = done.pipeline.segments.filter((s: { plannedDevice: string; ranOn: string[] }) => s.plannedDevice === killed && s.ranOn.some((d) => d !== killed))
    expect(moved.length).toBeGreaterThan(0)
    expect(out.shape).toEqual([rows, 5])
    expect(maxDiff(out.data, expected)).toBeLessThan(1e-4)
  }, 300_000)
})
