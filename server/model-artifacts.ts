/**
 * What a finished job gives its owner: predictions for new rows (with the training
 * preprocessing), the trained model as tfjs Layers artifacts (model.json +
 * model.weights.bin, with the preprocessing in its metadata) that tf.loadLayersModel
 * loads directly, and an inference job's stitched outputs.
 */
import { parseCsv, parseImagesForPredict, transformRows, unscaleTarget } from '../lib/data'
import { exportLayersModel, predictOutputs } from '../lib/compute'
import { NimbleError, unpackTensors, type Prediction, type PredictResponse } from '../lib/protocol'
import type { Ctx } from './context'
import { outputsTable, type InferPlan } from './infer-job'
import { getJobRow } from './jobs'
import { isImagePrep, type Plan, type TablePrep } from './plan-job'

async function trainedJob(ctx: Ctx, id: string) {
  const row = await getJobRow(ctx, id)
  if (row.type !== 'train' || !row.plan_json || !row.weights_hash) {
    throw new NimbleError({ code: 'not_ready', message: `job ${id} has no trained weights yet (status ${row.status}, round ${row.round}/${row.total_rounds})` })
  }
  const plan = JSON.parse(row.plan_json) as Plan
  const weights = unpackTensors(ctx.blobs.readArrayBuffer(row.weights_hash))
  return { row, plan, weights }
}

function unscaler(plan: Plan | InferPlan): (v: number) => number {
  return isImagePrep(plan.prep) || plan.task !== 'regression' ? (v) => v : (v) => unscaleTarget(plan.prep as TablePrep, v)
}

/** Table jobs take CSV text; image jobs a zip of images (or an idx images file), answered in file-name order. */
export async function predict(ctx: Ctx, id: string, body: { csv?: string; zip?: Uint8Array }): Promise<PredictResponse & { files?: string[] }> {
  const { plan, weights } = await trainedJob(ctx, id)
  let x: Float32Array
  let n: number
  let files: string[] | undefined
  if (isImagePrep(plan.prep)) {
    if (!body.zip) throw new NimbleError({ code: 'unsupported_media_type', message: 'this model classifies images: send a zip of images (Content-Type: application/zip)' })
    const img = parseImagesForPredict(body.zip)
    if (img.width !== plan.prep.width || img.height !== plan.prep.height || img.channels !== plan.prep.channels) {
      throw new NimbleError({ code: 'invalid_body', message: `images are ${img.width}x${img.height}x${img.channels}; the model was trained on ${plan.prep.width}x${plan.prep.height}x${plan.prep.channels}` })
    }
    x = img.x
    n = img.names.length
    files = img.names
  } else {
    if (body.csv === undefined) throw new NimbleError({ code: 'unsupported_media_type', message: 'this model takes table rows: send CSV (Content-Type: text/csv)' })
    const { header, rows, lines } = parseCsv(body.csv, { maxRows: ctx.config.NIMBLE_MAX_ROWS, maxColumns: ctx.config.NIMBLE_MAX_COLUMNS })
    const t = transformRows(plan.prep, header, rows, { requireTarget: false, lines })
    x = t.x
    n = t.rows
  }
  const out = predictOutputs(plan.model, weights, x, n)
  const table = outputsTable(plan, { shape: [n, plan.model.outputSize], data: out }, unscaler(plan))
  const predictions: Prediction[] = table.rows.map((r) =>
    plan.task === 'regression' ? { label: String(r[0]), probability: null, value: Number(r[0]) } : { label: String(r[0]), probability: Number(r[1]) },
  )
  return { predictions, ...(files ? { files } : {}) }
}

export async function modelArtifacts(ctx: Ctx, id: string): Promise<{ modelJson: object; weightsBin: ArrayBuffer }> {
  const { row, plan, weights } = await trainedJob(ctx, id)
  return exportLayersModel(plan.model, weights, {
    nimble: {
      jobId: row.id,
      status: row.status,
      round: row.round,
      task: plan.task,
      target: plan.prep.target,
      classes: plan.classes,
      inputShape: plan.model.inputShape,
      preprocessing: plan.prep,
    },
  })
}

/** An inference job's outputs: the raw matrix ({shape, data}, row order) and a CSV of predictions. */
export async function jobOutputs(ctx: Ctx, id: string): Promise<{ json: { shape: number[]; data: number[]; predictions?: string[] }; csv: string }> {
  const row = await getJobRow(ctx, id)
  if (row.type !== 'infer' || !row.outputs_hash || !row.plan_json) {
    throw new NimbleError({ code: 'not_ready', message: `job ${id} has no outputs (type ${row.type}, status ${row.status})` })
  }
  const y = unpackTensors(ctx.blobs.readArrayBuffer(row.outputs_hash)).find((t) => t.name === 'y')!
  if ((JSON.parse(row.plan_json) as { kind: string }).kind === 'pipeline') {
    // The model's raw outputs, one row per input row.
    const [n, w] = y.shape
    const lines = [Array.from({ length: w }, (_, j) => `y_${j}`).join(',')]
    for (let i = 0; i < n; i++) lines.push(Array.from(y.data.subarray(i * w, (i + 1) * w)).join(','))
    return { json: { shape: y.shape, data: Array.from(y.data) }, csv: lines.join('\n') + '\n' }
  }
  const plan = JSON.parse(row.plan_json) as InferPlan
  const table = outputsTable(plan, y, unscaler(plan))
  const esc = (v: string | number) => (typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
  const csv = [table.header.join(','), ...table.rows.map((r) => r.map(esc).join(','))].join('\n') + '\n'
  const data = plan.task === 'regression' ? table.rows.map((r) => Number(r[0])) : Array.from(y.data)
  return { json: { shape: plan.task === 'regression' ? [y.shape[0], 1] : y.shape, data, ...(plan.task === 'classification' ? { predictions: table.rows.map((r) => String(r[0])) } : {}) }, csv }
}
