/**
 * Time to accuracy and bytes moved: MNIST (8,000 digits, MLP 784-256-10) trained through the
 * coordinator by 1, 2 and 4 headless workers (wasm backend), next to the same plan trained
 * with plain tfjs model.fit in one process. Accuracy is the validation accuracy after each
 * round/epoch; time counts from job submission (distributed) or the first epoch (baseline).
 */
import { zipSync } from 'fflate'
import * as tf from '@tensorflow/tfjs'
import { buildModel, writeWeights } from '../lib/compute'
import { modelInputShape } from '../lib/model/shapes'
import { unpackTensors, type CreateTrainJobBody } from '../lib/protocol'
import { planFor, useFastBackend } from '../server/testing/baseline'
import { mnistIdx } from '../server/testing/datasets'
import { startCoordinator, startWorker, stopAll, waitUntil } from '../server/testing/harness'

export type AccuracyRow = { runner: string; workers: number; target: number; secondsToTarget: number | null; finalValAccuracy: number; totalSeconds: number; mbDown: number; mbUp: number }

const TARGET = Number(process.env.BENCH_TARGET_ACCURACY ?? 0.94)

function mnistJob(): { zip: Uint8Array; req: Omit<CreateTrainJobBody, 'datasetId'> } {
  const d = mnistIdx(8000, 1)
  return {
    zip: zipSync({ 'train-images-idx3-ubyte': d.images, 'train-labels-idx1-ubyte': d.labels }, { level: 0 }),
    req: { type: 'train', target: 'label', model: { template: 'mlp', hidden: [256] }, epochs: 12, batchSize: 32, learningRate: 0.002, validationSplit: 0.1, testSplit: 0, seed: 7 },
  }
}

async function baseline(zip: Uint8Array, req: Omit<CreateTrainJobBody, 'datasetId'>): Promise<AccuracyRow> {
  await useFastBackend()
  const { plan, blobs } = planFor({ zip }, { ...req, datasetId: 'local' } as CreateTrainJobBody)
  const part = (hash: string) => unpackTensors(blobs.readArrayBuffer(hash))
  const [tx, ty] = part(plan.train.ref.hash)
  const [vx, vy] = part(plan.validation.ref.hash)
  const model = buildModel(plan.model, plan.seed)
  writeWeights(model, unpackTensors(blobs.readArrayBuffer(plan.initialWeights.hash)))
  model.compile({ optimizer: tf.train.adam(plan.hyper.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
  const shape = modelInputShape(plan.model)
  const xs = tf.tensor(tx.data, [tx.shape[0], ...shape])
  const ys = tf.tensor2d(ty.data, [ty.shape[0], ty.shape[1]])
  const vxs = tf.tensor(vx.data, [vx.shape[0], ...shape])
  const vys = tf.tensor2d(vy.data, [vy.shape[0], vy.shape[1]])
  const start = performance.now()
  let reached: number | null = null
  let last = 0
  await model.fit(xs, ys, {
    epochs: plan.totalRounds,
    batchSize: plan.hyper.batchSize,
    shuffle: true,
    verbose: 0,
    validationData: [vxs, vys],
    callbacks: {
      onEpochEnd: async (_e, logs) => {
        last = Number(logs?.val_acc ?? logs?.val_accuracy ?? 0)
        if (reached === null && last >= TARGET) reached = (performance.now() - start) / 1000
      },
    },
  })
  const total = (performance.now() - start) / 1000
  tf.dispose([xs, ys, vxs, vys])
  model.dispose()
  return { runner: 'tfjs model.fit (1 process)', workers: 0, target: TARGET, secondsToTarget: reached, finalValAccuracy: +last.toFixed(4), totalSeconds: +total.toFixed(1), mbDown: 0, mbUp: 0 }
}

async function distributed(zip: Uint8Array, req: Omit<CreateTrainJobBody, 'datasetId'>, workers: number): Promise<AccuracyRow> {
  const coord = await startCoordinator({ env: { NIMBLE_LOG_LEVEL: 'warn' } })
  try {
    for (let i = 0; i < workers; i++) await startWorker(coord.url, { name: `a${i}`, backend: 'wasm' })
    await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === workers, 60_000, 'workers online')
    const ds = await coord.api.call('POST', '/api/datasets', zip, { 'content-type': 'application/zip' })
    const job = await coord.api.call('POST', '/api/jobs', { ...req, datasetId: ds.body.id })
    if (job.status !== 201) throw new Error(JSON.stringify(job.body))
    const done = await waitUntil(
      async () => {
        const j = (await coord.api.call('GET', `/api/jobs/${job.body.id}`)).body
        return j.status === 'succeeded' ? j : null
      },
      900_000,
      'job',
      250,
    )
    const t0 = Date.parse(done.createdAt)
    const hit = done.history.find((p: { valAccuracy: number }) => p.valAccuracy >= TARGET)
    return {
      runner: 'Nimble (coordinator + headless workers)',
      workers,
      target: TARGET,
      secondsToTarget: hit ? +((Date.parse(hit.at) - t0) / 1000).toFixed(1) : null,
      finalValAccuracy: +done.metrics.valAccuracy.toFixed(4),
      totalSeconds: +((Date.parse(done.updatedAt) - t0) / 1000).toFixed(1),
      mbDown: +(done.bytesMoved.down / 1e6).toFixed(1),
      mbUp: +(done.bytesMoved.up / 1e6).toFixed(1),
    }
  } finally {
    await stopAll()
  }
}

export async function timeToAccuracy(workerCounts: number[]): Promise<AccuracyRow[]> {
  const { zip, req } = mnistJob()
  const rows = [await baseline(zip, req)]
  for (const n of workerCounts) {
    process.stderr.write(`bench: time to accuracy, ${n} worker(s)…\n`)
    rows.push(await distributed(zip, req, n))
  }
  return rows
}
