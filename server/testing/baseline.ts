/**
 * The single-process baseline for parity tests and benches: the same plan the coordinator
 * makes (preprocessing, split, model, initial weights, hyper-parameters), trained in one
 * process with plain tfjs `model.fit` over all training rows, and scored on held-out data.
 */
import os from 'node:os'
import path from 'node:path'
import fs from 'node:fs'
import * as tf from '@tensorflow/tfjs'
import { buildModel, predictOutputs, readWeights, writeWeights } from '../../lib/compute'
import { imageInfo, inferColumns, parseCsv, parseImageZip, parseImagesForPredict, shuffleIndices, transformRows, unscaleTarget } from '../../lib/data'
import { modelInputShape } from '../../lib/model/shapes'
import { packTensors, unpackTensors, type CreateTrainJobBody } from '../../lib/protocol'
import { BlobStore } from '../blobs'
import { buildPlan, isImagePrep, type Plan, type TablePrep } from '../plan-job'
import type { DatasetRow } from '../store/schema'

export type Holdout = { csv?: string; images?: Uint8Array; labels?: string[]; values?: number[] }
export type Score = { accuracy: number | null; r2: number | null; seconds: number }

let backendReady: Promise<void> | null = null
export function useFastBackend(): Promise<void> {
  backendReady ??= (async () => {
    await import('@tensorflow/tfjs-backend-wasm')
    if (!(await tf.setBackend('wasm'))) await tf.setBackend('cpu')
  })()
  return backendReady
}

/** Builds the coordinator's plan for `data` without a coordinator (blobs in a temp dir). */
export function planFor(data: { csv?: string; zip?: Uint8Array }, req: CreateTrainJobBody): { plan: Plan; blobs: BlobStore } {
  const blobs = new BlobStore(fs.mkdtempSync(path.join(os.tmpdir(), 'nimble-baseline-')))
  let ds: DatasetRow
  if (data.zip) {
    const img = parseImageZip(data.zip)
    const pack = blobs.put(packTensors([
      { name: 'x', shape: [img.labels.length, img.width * img.height * img.channels], data: img.x },
      { name: 'labels', shape: [img.labels.length], data: Float32Array.from(img.labels) },
    ]))
    ds = { id: 'ds', name: 'images', rows: img.labels.length, bytes: data.zip.byteLength, columns_json: '[]', preview_json: '[]', blob_hash: blobs.put(data.zip).hash, created_at: 0, kind: 'images', image_json: JSON.stringify(imageInfo(img)), pack_hash: pack.hash, owner_id: 'admin' }
  } else {
    const { header, rows } = parseCsv(data.csv!)
    ds = { id: 'ds', name: 'table', rows: rows.length, bytes: data.csv!.length, columns_json: JSON.stringify(inferColumns(header, rows)), preview_json: '[]', blob_hash: blobs.put(Buffer.from(data.csv!)).hash, created_at: 0, kind: 'table', image_json: null, pack_hash: null, owner_id: 'admin' }
  }
  return { plan: buildPlan(blobs, ds, req, null, 1e9), blobs }
}

/** Trains the plan in this process with model.fit and scores it on the holdout. */
export async function trainBaseline(data: { csv?: string; zip?: Uint8Array }, req: CreateTrainJobBody, holdout: Holdout): Promise<Score> {
  await useFastBackend()
  const start = performance.now()
  const { plan, blobs } = planFor(data, req)
  const train = unpackTensors(blobs.readArrayBuffer(plan.train.ref.hash))
  const x = train.find((t) => t.name === 'x')!
  const y = train.find((t) => t.name === 'y')!
  const model = buildModel(plan.model, plan.seed)
  writeWeights(model, unpackTensors(blobs.readArrayBuffer(plan.initialWeights.hash)))
  const h = plan.hyper
  const optimizer = h.optimizer === 'adam' ? tf.train.adam(h.learningRate) : h.optimizer === 'momentum' ? tf.train.momentum(h.learningRate, h.momentum ?? 0.9) : tf.train.sgd(h.learningRate)
  model.compile({ optimizer, loss: plan.task === 'regression' ? 'meanSquaredError' : 'categoricalCrossentropy' })
  const xs = tf.tensor(x.data, [x.shape[0], ...modelInputShape(plan.model)])
  const ys = tf.tensor2d(y.data, [y.shape[0], y.shape[1]])
  // A seeded shuffle per epoch (model.fit's own uses Math.random), so the baseline is reproducible.
  for (let epoch = 0; epoch < plan.totalRounds * h.localEpochs; epoch++) {
    const order = tf.tensor1d(Array.from(shuffleIndices(x.shape[0], plan.seed * 31 + epoch)), 'int32')
    const xe = tf.gather(xs, order)
    const ye = tf.gather(ys, order)
    await model.fit(xe, ye, { epochs: 1, batchSize: h.batchSize, shuffle: false, verbose: 0 })
    tf.dispose([order, xe, ye])
  }
  tf.dispose([xs, ys])
  const weights = readWeights(model)
  model.dispose()
  return { ...scoreHoldout(plan, weights, holdout), seconds: (performance.now() - start) / 1000 }
}

export function scoreHoldout(plan: Plan, weights: ReturnType<typeof readWeights>, holdout: Holdout): { accuracy: number | null; r2: number | null } {
  let x: Float32Array
  let n: number
  if (isImagePrep(plan.prep)) {
    const img = parseImagesForPredict(holdout.images!)
    x = img.x
    n = img.names.length
  } else {
    const { header, rows, lines } = parseCsv(holdout.csv!)
    const t = transformRows(plan.prep, header, rows, { requireTarget: false, lines })
    x = t.x
    n = t.rows
  }
  const out = predictOutputs(plan.model, weights, x, n)
  if (plan.task === 'regression') {
    const pred = Array.from(out, (v) => unscaleTarget(plan.prep as TablePrep, v))
    return { accuracy: null, r2: r2(pred, holdout.values!) }
  }
  const k = plan.model.outputSize
  let correct = 0
  for (let i = 0; i < n; i++) {
    let best = 0
    for (let c = 1; c < k; c++) if (out[i * k + c] > out[i * k + best]) best = c
    if (plan.classes[best] === holdout.labels![i]) correct++
  }
  return { accuracy: correct / n, r2: null }
}

export function r2(pred: number[], actual: number[]): number {
  const mean = actual.reduce((a, b) => a + b, 0) / actual.length
  let ssRes = 0
  let ssTot = 0
  for (let i = 0; i < actual.length; i++) {
    ssRes += (actual[i] - pred[i]) ** 2
    ssTot += (actual[i] - mean) ** 2
  }
  return 1 - ssRes / ssTot
}
