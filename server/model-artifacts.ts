/**
 * What a finished job gives its owner: predictions for new rows (with the training
 * preprocessing) and the trained model as tfjs Layers artifacts (model.json +
 * model.weights.bin) that tf.loadLayersModel loads directly.
 */
import { parseCsv, transformRows } from '../lib/data'
import { exportLayersModel, predictProba } from '../lib/compute'
import { NimbleError, unpackTensors, type PredictResponse } from '../lib/protocol'
import type { Ctx } from './context'
import { getJobRow } from './jobs'
import type { Plan } from './plan-job'

async function finishedJob(ctx: Ctx, id: string) {
  const row = await getJobRow(ctx, id)
  if (!row.plan_json || !row.weights_hash) {
    throw new NimbleError({ code: 'not_ready', message: `job ${id} has no trained weights yet (status ${row.status}, round ${row.round}/${row.total_rounds})` })
  }
  const plan = JSON.parse(row.plan_json) as Plan
  const weights = unpackTensors(ctx.blobs.readArrayBuffer(row.weights_hash))
  return { row, plan, weights }
}

export async function predict(ctx: Ctx, id: string, csv: string): Promise<PredictResponse> {
  const { plan, weights } = await finishedJob(ctx, id)
  const { header, rows, lines } = parseCsv(csv, { maxRows: ctx.config.NIMBLE_MAX_ROWS, maxColumns: ctx.config.NIMBLE_MAX_COLUMNS })
  const { x, rows: n } = transformRows(plan.prep, header, rows, { requireTarget: false, lines })
  const probs = predictProba(plan.model, weights, x, n)
  const k = plan.model.outputSize
  const predictions = []
  for (let i = 0; i < n; i++) {
    let best = 0
    for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c
    predictions.push({ label: plan.prep.classes[best] ?? String(best), probability: probs[i * k + best] })
  }
  return { predictions }
}

export async function modelArtifacts(ctx: Ctx, id: string): Promise<{ modelJson: object; weightsBin: ArrayBuffer }> {
  const { row, plan, weights } = await finishedJob(ctx, id)
  return exportLayersModel(plan.model, weights, {
    nimble: {
      jobId: row.id,
      status: row.status,
      round: row.round,
      target: plan.prep.target,
      classes: plan.prep.classes,
      preprocessing: plan.prep,
    },
  })
}
