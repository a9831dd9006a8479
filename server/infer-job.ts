/**
 * Batch inference jobs: a trained job's model run over a dataset with the same columns
 * (the target may be absent). Rows are transformed with the training preprocessing once,
 * stored as one blob, and sharded across devices by the planner; the assimilator stitches
 * the outputs back in row order.
 */
import crypto from 'node:crypto'
import { parseCsv, transformRows } from '../lib/data'
import { NimbleError, packTensors, unpackTensors, type BlobRef, type CreateInferJobBody, type ModelSpec, type TaskType } from '../lib/protocol'
import type { Ctx } from './context'
import { insertJob } from './job-rows'
import { getDatasetRow } from './datasets'
import { transition } from './log'
import { isImagePrep, type DataPart, type Plan, type Prep } from './plan-job'

export type InferPlan = {
  kind: 'infer'
  sourceJobId: string
  task: TaskType
  prep: Prep
  classes: string[]
  model: ModelSpec
  weights: BlobRef
  data: DataPart
}

export async function createInferJob(ctx: Ctx, body: CreateInferJobBody): Promise<{ id: string }> {
  const src = await ctx.db.selectFrom('jobs').selectAll().where('id', '=', body.sourceJobId ?? '').executeTakeFirst()
  if (!src) throw new NimbleError({ code: 'not_found', field: 'sourceJobId', message: `no job ${body.sourceJobId}` })
  if (src.type !== 'train' || src.status !== 'succeeded' || !src.weights_hash || !src.plan_json) {
    throw new NimbleError({ code: 'not_ready', field: 'sourceJobId', message: `job ${src.id} is a ${src.type} job with status ${src.status}: inference needs a succeeded training job` })
  }
  const plan = JSON.parse(src.plan_json) as Plan
  const ds = await getDatasetRow(ctx.db, body.datasetId)
  let x: Float32Array
  let rows: number
  if (isImagePrep(plan.prep)) {
    if (ds.kind !== 'images') throw new NimbleError({ code: 'invalid_body', field: 'datasetId', message: `job ${src.id} was trained on images; dataset ${ds.id} is a table` })
    const t = unpackTensors(ctx.blobs.readArrayBuffer(ds.pack_hash!)).find((t) => t.name === 'x')!
    if (t.shape[1] !== plan.model.inputSize) throw new NimbleError({ code: 'invalid_body', field: 'datasetId', message: `images of dataset ${ds.id} have ${t.shape[1]} values each; the model takes ${plan.model.inputSize}` })
    x = t.data
    rows = t.shape[0]
  } else {
    if (ds.kind !== 'table') throw new NimbleError({ code: 'invalid_body', field: 'datasetId', message: `job ${src.id} was trained on a table; dataset ${ds.id} holds images` })
    const parsed = parseCsv(ctx.blobs.read(ds.blob_hash).toString('utf8'))
    const t = transformRows(plan.prep, parsed.header, parsed.rows, { requireTarget: false, lines: parsed.lines })
    x = t.x
    rows = t.rows
  }
  const data = ctx.blobs.put(packTensors([{ name: 'x', shape: [rows, plan.model.inputSize], data: x }]))
  const weights: BlobRef = { hash: src.weights_hash, bytes: ctx.blobs.size(src.weights_hash), url: `/api/blobs/${src.weights_hash}` }
  const inferPlan: InferPlan = { kind: 'infer', sourceJobId: src.id, task: plan.task, prep: plan.prep, classes: plan.classes, model: plan.model, weights, data: { ref: data, rows } }
  const id = `job_${crypto.randomBytes(9).toString('base64url')}`
  await insertJob(ctx, {
    id,
    name: body.name?.trim() || `Predictions of ${src.name} on ${ds.name}`,
    type: 'infer',
    dataset_id: ds.id,
    request_json: JSON.stringify(body),
    plan_json: JSON.stringify(inferPlan),
    total_rounds: 1,
    weights_hash: src.weights_hash,
  })
  transition(ctx.log, 'job', id, 'new', 'queued', { type: 'infer', source: src.id, rows })
  ctx.bus.emit('job:created', id)
  return { id }
}

/** The stitched outputs as rows of predictions (classification: label, probability, per-class; regression: value). */
export function outputsTable(plan: InferPlan | Plan, y: { shape: number[]; data: Float32Array }, unscale: (v: number) => number): { header: string[]; rows: (string | number)[][] } {
  const [n, k] = y.shape
  if (plan.task === 'regression') {
    return { header: ['value'], rows: Array.from({ length: n }, (_, i) => [unscale(y.data[i])]) }
  }
  const header = ['label', 'probability', ...plan.classes.map((c) => `p_${c}`)]
  const rows: (string | number)[][] = []
  for (let i = 0; i < n; i++) {
    let best = 0
    for (let c = 1; c < k; c++) if (y.data[i * k + c] > y.data[i * k + best]) best = c
    rows.push([plan.classes[best] ?? String(best), y.data[i * k + best], ...Array.from(y.data.subarray(i * k, (i + 1) * k))])
  }
  return { header, rows }
}
