/**
 * Pipeline inference: how close the measured forward pipeline comes to GPipe's schedule.
 *
 * One coordinator, K = 4 headless workers (cpu backend), each declaring a memory budget
 * (`--memory`) just large enough that the model (16 Dense 256 layers, uploaded with
 * model.save) needs exactly 4 segments: the planner then puts one segment on each worker. The
 * same model runs as a pipeline inference job with M = 1, 4 and 16 micro-batches of
 * MICRO_BATCH rows (after one warm-up job, so every worker already holds its segment).
 *
 * Figures per M:
 *   wallSec             job createdAt → updatedAt (succeeded): planning, dispatch, every stage
 *   rowsPerSec          rows / wallSec
 *   slowestStageMsP50   per stage, the median over its micro-batches of lease → result
 *                       (instances.finished_at − leased_at, tasks.round = stage); the largest
 *   idealSec            (M + K − 1) × the slowest stage alone, i.e. slowestStageMsP50 of the
 *                       M = 1 job, where no other stage competed for the machine
 *   measuredBubble      1 − (total busy time of all stages) / (K × wall time): the share of the
 *                       K workers' time during the job that no stage task held them. Busy time is
 *                       the sum of lease → result over the job's valid stage tasks
 *   gpipeBubble         GPipe's bound (K − 1) / (M + K − 1) (lib/model/partition pipelineStats)
 */
import path from 'node:path'
import SQLite from 'better-sqlite3'
import * as tf from '@tensorflow/tfjs'
import { createRng } from '../lib/data'
import { estimateLayers } from '../lib/model/estimate'
import { minDevices } from '../lib/model/partition'
import { startCoordinator, startWorker, stopAll, waitUntil, type Coord } from '../server/testing/harness'

export type PipelineRow = {
  microBatches: number
  stages: number
  rows: number
  wallSec: number
  rowsPerSec: number
  stageMsP50: string
  slowestStageMsP50: number
  idealSec: number
  measuredBubble: number
  gpipeBubble: number
}

const K = 4
const LAYERS = 16
const WIDTH = 256
const FEATURES = 64
const MICRO_BATCH = 64
const MICRO_BATCHES = [1, 4, 16]

function median(xs: number[]): number {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function model(): tf.Sequential {
  const m = tf.sequential()
  for (let i = 0; i < LAYERS; i++) {
    m.add(tf.layers.dense({ units: i === LAYERS - 1 ? 10 : WIDTH, activation: i === LAYERS - 1 ? 'softmax' : 'tanh', inputShape: i === 0 ? [FEATURES] : undefined, kernelInitializer: tf.initializers.glorotUniform({ seed: 300 + i }) }))
  }
  return m
}

/** The smallest per-device budget (bytes) with which the model fits in K segments (so it needs exactly K). */
function budgetForK(m: tf.Sequential): number {
  const layers = estimateLayers(m.toJSON(null, false))
  const options = { microBatch: MICRO_BATCH, training: false }
  let lo = 1
  let hi = 1 << 30
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2)
    if (minDevices(layers, mid, options) <= K) hi = mid
    else lo = mid + 1
  }
  if (minDevices(layers, lo, options) !== K) throw new Error(`no budget makes the model need exactly ${K} devices`)
  return lo
}

function csv(rows: number): string {
  const rng = createRng(17)
  const header = Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(',')
  return [header, ...Array.from({ length: rows }, () => Array.from({ length: FEATURES }, () => (rng() * 2 - 1).toFixed(3)).join(','))].join('\n')
}

type Stage = { stage: number; leased_at: number; finished_at: number }

async function runJob(coord: Coord, modelId: string, microBatches: number) {
  const rows = microBatches * MICRO_BATCH
  const ds = await coord.api.call('POST', '/api/datasets', csv(rows))
  if (ds.status !== 201) throw new Error(JSON.stringify(ds.body))
  const job = await coord.api.call('POST', '/api/jobs', { type: 'infer', modelId, datasetId: ds.body.id, microBatchRows: MICRO_BATCH })
  if (job.status !== 201) throw new Error(JSON.stringify(job.body))
  const done = await waitUntil(
    async () => {
      const j = (await coord.api.call('GET', `/api/jobs/${job.body.id}`)).body
      if (j.status === 'failed') throw new Error(`pipeline job failed: ${j.error}`)
      return j.status === 'succeeded' ? j : null
    },
    600_000,
    'pipeline job',
    50,
  )
  const segments = done.pipeline.segments as { ranOn: string[] }[]
  const devices = new Set(segments.flatMap((s) => s.ranOn))
  if (segments.length !== K || devices.size !== K) throw new Error(`expected ${K} segments on ${K} devices, got ${segments.length} on ${devices.size}: ${JSON.stringify(segments)}`)
  const db = new SQLite(path.join(coord.dataDir, 'nimble.sqlite'), { readonly: true })
  const tasks = db
    .prepare(`select t.round as stage, i.leased_at, i.finished_at from instances i join tasks t on t.id = i.task_id where i.state = 'valid' and i.job_id = ?`)
    .all(job.body.id) as Stage[]
  db.close()
  return { rows, wallMs: Date.parse(done.updatedAt) - Date.parse(done.createdAt), tasks }
}

export async function pipelineBench(): Promise<PipelineRow[]> {
  const coord = await startCoordinator({ env: { NIMBLE_LOG_LEVEL: 'warn' } })
  try {
    await tf.ready()
    const m = model()
    const budget = budgetForK(m)
    for (let i = 0; i < K; i++) await startWorker(coord.url, { name: `p${i}`, backend: 'cpu', extra: ['--memory', String(budget)] })
    await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === K, 60_000, 'workers online')
    const saved = await m.save(tf.io.http(`${coord.url}/api/models`, { requestInit: { headers: { authorization: `Bearer ${coord.key}` } } }))
    const modelId = JSON.parse(await (saved.responses![0] as Response).text()).id as string
    m.dispose()

    process.stderr.write(`bench: pipeline, ${K} workers of ${budget} bytes each, warm-up…\n`)
    await runJob(coord, modelId, K) // every worker builds and keeps its segment
    const out: PipelineRow[] = []
    let slowestAloneMs = NaN
    for (const M of MICRO_BATCHES) {
      process.stderr.write(`bench: pipeline, M = ${M}…\n`)
      const r = await runJob(coord, modelId, M)
      const perStage = Array.from({ length: K }, (_, s) => median(r.tasks.filter((t) => t.stage === s).map((t) => t.finished_at - t.leased_at)))
      const slowest = Math.max(...perStage)
      if (M === 1) slowestAloneMs = slowest
      const busyMs = r.tasks.reduce((a, t) => a + (t.finished_at - t.leased_at), 0)
      out.push({
        microBatches: M,
        stages: K,
        rows: r.rows,
        wallSec: +(r.wallMs / 1000).toFixed(2),
        rowsPerSec: +(r.rows / (r.wallMs / 1000)).toFixed(1),
        stageMsP50: perStage.map((x) => x.toFixed(0)).join(' / '),
        slowestStageMsP50: +slowest.toFixed(1),
        idealSec: +(((M + K - 1) * slowestAloneMs) / 1000).toFixed(2),
        measuredBubble: +(1 - busyMs / (K * r.wallMs)).toFixed(3),
        gpipeBubble: +((K - 1) / (M + K - 1)).toFixed(3),
      })
    }
    return out
  } finally {
    await stopAll()
  }
}
