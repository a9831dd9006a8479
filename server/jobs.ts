/**
 * Jobs as the owner sees them: create (validated and planned at once), view, list, cancel.
 * The job's progress afterwards belongs to the planner and the assimilator.
 */
import { CANARY_ROUND } from './canary'
import { verificationCounts } from './verification-view'
import crypto from 'node:crypto'
import { sql } from 'kysely'
import { NimbleError, type CreateJobBody, type CreateTrainJobBody, type EvalReport, type JobView, type Metrics, type RoundPoint } from '../lib/protocol'
import type { Ctx } from './context'
import { insertJob } from './job-rows'
import { schedulingView } from './job-scheduling'
import { getDatasetRow } from './datasets'
import { createInferJob, type InferPlan } from './infer-job'
import { createPipelineJob, type PipelinePlan } from './pipeline-job'
import { planPipelineTraining } from './pipeline-train'
import type { Registry } from './registry'
import { transition } from './log'
import { endJobWork } from './task-attempts'
import { getModelRow, type ModelInfo } from './models'
import { buildPlan, type Plan } from './plan-job'
import type { Best } from './assimilator'
import type { DatasetRow, JobRow } from './store/schema'
import { isPostgres } from './store/db'

const EMPTY_METRICS: Metrics = { loss: null, accuracy: null, valLoss: null, valAccuracy: null }

export async function createJob(ctx: Ctx, body: CreateJobBody, registry: Registry): Promise<{ id: string }> {
  if (body.type === 'infer') {
    if (!!body.modelId === !!body.sourceJobId) {
      throw new NimbleError({ code: 'invalid_body', field: body.modelId ? 'sourceJobId' : 'modelId', message: 'an inference job takes exactly one of sourceJobId (a trained job) or modelId (an uploaded model, run as a pipeline)' })
    }
    return body.modelId ? createPipelineJob(ctx, registry, body) : createInferJob(ctx, body)
  }
  return createTrainJob(ctx, body, registry)
}

/** Checks a training request against its dataset and builds its plan (stores the data blobs, inserts nothing). */
export async function prepareTrainJob(ctx: Ctx, body: CreateTrainJobBody, registry: Registry): Promise<{ ds: DatasetRow; plan: Plan }> {
  const ds = await getDatasetRow(ctx.db, body.datasetId)
  if (ds.kind !== 'images') {
    const columns = JSON.parse(ds.columns_json) as { name: string }[]
    if (!columns.some((c) => c.name === body.target)) {
      throw new NimbleError({
        code: 'unknown_column',
        field: 'target',
        message: `target column "${body.target}" is not in dataset ${ds.id}; its columns are: ${columns.map((c) => c.name).join(', ')}`,
      })
    }
  }
  let custom: { row: Awaited<ReturnType<typeof getModelRow>>; info: ModelInfo } | null = null
  if (body.model.template === 'custom') {
    if (!body.model.modelId) throw new NimbleError({ code: 'invalid_body', field: 'model.modelId', message: 'the custom template needs model.modelId (upload the model with POST /api/models)' })
    const row = await getModelRow(ctx, body.model.modelId)
    custom = { row, info: JSON.parse(row.info_json) as ModelInfo }
  }
  const plan = buildPlan(ctx.blobs, ds, body, custom, ctx.config.NIMBLE_MAX_MODEL_PARAMS)
  if (body.pipeline) {
    plan.pipeline = planPipelineTraining(plan, ctx.blobs, registry, body.pipeline.microBatchRows)
    plan.totalRounds = plan.totalRounds * plan.pipeline.stepsPerEpoch
  }
  return { ds, plan }
}

async function createTrainJob(ctx: Ctx, body: CreateTrainJobBody, registry: Registry): Promise<{ id: string }> {
  const { ds, plan } = await prepareTrainJob(ctx, body, registry)
  const id = `job_${crypto.randomBytes(9).toString('base64url')}`
  const label = { logistic: 'Logistic regression', linear: 'Linear regression', mlp: 'MLP', cnn: 'CNN', custom: 'Custom model' }[body.model.template]
  await insertJob(ctx, {
    id,
    name: body.name?.trim() || `${label} on ${ds.name} → ${ds.kind === 'images' ? 'class' : body.target}`,
    type: body.type,
    dataset_id: ds.id,
    request_json: JSON.stringify(body),
    plan_json: JSON.stringify(plan),
    total_rounds: plan.totalRounds,
  })
  transition(ctx.log, 'job', id, 'new', 'queued', { dataset: ds.id, rounds: plan.totalRounds, task: plan.task, template: plan.model.template })
  ctx.bus.emit('job:created', id)
  return { id }
}

export async function getJobRow(ctx: Ctx, id: string): Promise<JobRow> {
  const row = await ctx.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NimbleError({ code: 'not_found', message: `no job ${id}` })
  return row
}

/**
 * Bytes the job moved. Down: the blobs its leases needed, counted once per device and blob
 * (devices keep content-addressed blobs, so a shard reused across rounds is fetched once).
 * Up: the results devices sent.
 */
async function bytesMoved(ctx: Ctx, jobId: string): Promise<{ down: number; up: number }> {
  const [tasks, inst] = await Promise.all([
    ctx.db.selectFrom('tasks').select(['id', 'payload_json']).where('job_id', '=', jobId).execute(),
    ctx.db.selectFrom('instances').select(['task_id', 'device_id', 'result_bytes']).where('job_id', '=', jobId).execute(),
  ])
  type Ref = { hash: string; bytes: number }
  const blobsOf = new Map(
    tasks.map((t) => {
      const p = JSON.parse(t.payload_json) as { weights: Ref | { ref: Ref }[]; data?: Ref; input?: Ref }
      const weights = Array.isArray(p.weights) ? p.weights.map((w) => w.ref) : [p.weights]
      return [t.id, [...weights, ...(p.data ? [p.data] : []), ...(p.input ? [p.input] : [])]]
    }),
  )
  const seen = new Set<string>()
  let down = 0
  let up = 0
  for (const i of inst) {
    for (const b of blobsOf.get(i.task_id) ?? []) {
      const key = `${i.device_id}:${b.hash}`
      if (seen.has(key)) continue
      seen.add(key)
      down += b.bytes
    }
    up += i.result_bytes ?? 0
  }
  return { down, up }
}

export async function jobView(ctx: Ctx, id: string): Promise<JobView> {
  const row = await getJobRow(ctx, id)
  const { db } = ctx
  const [rounds, taskCounts, reassigned, devices, moved] = await Promise.all([
    db.selectFrom('rounds').selectAll().where('job_id', '=', id).orderBy('round').execute(),
    db.selectFrom('tasks').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).where('job_id', '=', id).where('round', '<', CANARY_ROUND).groupBy('state').execute(),
    db.selectFrom('instances').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', '=', id).where('state', 'in', ['expired', 'abandoned', 'failed', 'invalid']).executeTakeFirst(),
    db
      .selectFrom('instances')
      .innerJoin('devices', 'devices.id', 'instances.device_id')
      .innerJoin('tasks', 'tasks.id', 'instances.task_id')
      .select(['devices.id', 'devices.name', 'devices.backend', (eb) => eb.fn.countAll<number>().as('tasks'), (eb) => eb.fn.sum<number>('tasks.rows').as('rows')])
      .where('instances.job_id', '=', id)
      .where('instances.state', '=', 'valid')
      .groupBy(['devices.id', 'devices.name', 'devices.backend'])
      .execute(),
    bytesMoved(ctx, id),
  ])
  const count = (s: string) => Number(taskCounts.find((t) => t.state === s)?.n ?? 0)
  const total = taskCounts.reduce((a, t) => a + Number(t.n), 0)
  const plan = row.plan_json ? (JSON.parse(row.plan_json) as Plan | InferPlan | PipelinePlan) : null
  const request = JSON.parse(row.request_json) as CreateJobBody
  const currentRoundTasks = await db.selectFrom('tasks').select(['state']).where('job_id', '=', id).where('round', '=', row.round).execute()
  const partial = currentRoundTasks.length ? currentRoundTasks.filter((t) => t.state === 'done').length / currentRoundTasks.length : 0
  const pipelineTotal = plan?.kind === 'pipeline' ? plan.segments.length * plan.microBatches.length : 0
  const progress =
    row.status === 'succeeded' ? 1 : pipelineTotal ? count('done') / pipelineTotal : Math.min(1, (row.round + partial) / Math.max(1, row.total_rounds))
  const history: RoundPoint[] = rounds.map((r) => ({ round: r.round, at: new Date(r.created_at).toISOString(), devices: r.devices, ...(JSON.parse(r.metrics_json) as Metrics) }))
  const best = row.best_json ? (JSON.parse(row.best_json) as Best) : null
  const train = plan?.kind === 'train' ? plan : null
  const outputRows = (plan?.kind === 'infer' || plan?.kind === 'pipeline') && row.outputs_hash ? plan.data.rows : 0
  const pipeline =
    plan?.kind === 'pipeline'
      ? await pipelineView(ctx, id, plan)
      : plan?.kind === 'train' && plan.pipeline
        ? await pipelineView(ctx, id, {
            microBatches: [{ rows: 0 }, ...Array.from({ length: Math.ceil(plan.pipeline.batchSize / plan.pipeline.microBatchRows) - 1 }, () => ({ rows: 0 }))],
            microBatchRows: plan.pipeline.microBatchRows,
            bottleneckSec: plan.pipeline.bottleneckSec,
            bubbleFraction: plan.pipeline.bubbleFraction,
            segments: plan.pipeline.segments,
          } as unknown as PipelinePlan)
        : null
  return {
    id: row.id,
    name: row.name,
    type: row.type === 'infer' ? 'infer' : 'train',
    task: plan?.task ?? 'classification',
    status: row.status as JobView['status'],
    progress,
    round: row.round,
    totalRounds: row.total_rounds,
    metrics: row.metrics_json ? (JSON.parse(row.metrics_json) as Metrics) : EMPTY_METRICS,
    test: row.test_json ? (JSON.parse(row.test_json) as EvalReport) : null,
    validation: row.validation_json ? (JSON.parse(row.validation_json) as EvalReport) : null,
    history,
    devices: devices.map((d) => ({ id: d.id, name: d.name, backend: d.backend, tasks: Number(d.tasks), rows: Number(d.rows ?? 0) })),
    tasks: { total, done: count('done'), running: count('leased'), reassigned: Number(reassigned?.n ?? 0) },
    verification: await verificationCounts(ctx, id),
    bytesMoved: moved,
    stoppedEarly: row.status === 'succeeded' && row.type === 'train' && row.round < row.total_rounds,
    bestRound: train?.earlyStopping ? (best?.round ?? null) : null,
    pipeline,
    scheduling: await schedulingView(ctx, row),
    outputs: row.outputs_hash ? { rows: outputRows, json: `/api/jobs/${id}/outputs`, csv: `/api/jobs/${id}/outputs.csv` } : null,
    datasetId: row.dataset_id,
    target: request.type === 'train' ? request.target : '',
    classes: plan?.classes ?? [],
    config: train
      ? {
          template: train.model.template,
          hidden: train.model.hidden,
          filters: train.model.filters,
          dropout: train.model.dropout,
          epochs: row.total_rounds,
          batchSize: train.hyper.batchSize,
          learningRate: train.hyper.learningRate,
          optimizer: train.hyper.optimizer,
          localEpochs: train.hyper.localEpochs,
          localSteps: train.hyper.localSteps ?? null,
          schedule: train.schedule,
          earlyStopping: train.earlyStopping,
          algorithm: train.algorithm,
          classWeights: train.hyper.classWeights ?? null,
          rows: { train: train.train.rows, validation: train.validation.rows, test: train.test.rows },
          inputShape: train.model.inputShape,
          notes: train.notes,
        }
      : plan?.kind === 'infer'
        ? { sourceJobId: plan.sourceJobId, rows: plan.data.rows }
        : plan?.kind === 'pipeline'
          ? { modelId: plan.modelId, rows: plan.data.rows, stages: plan.segments.length, microBatchRows: plan.microBatchRows }
          : {},
    error: row.error,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  }
}

async function pipelineView(ctx: Ctx, jobId: string, plan: PipelinePlan): Promise<NonNullable<JobView['pipeline']>> {
  // The stage a task ran (payload_json.stage), else its round.
  const stage = isPostgres(ctx.db) ? sql<number>`coalesce((tasks.payload_json::json->>'stage')::int, tasks.round)` : sql<number>`coalesce(json_extract(tasks.payload_json, '$.stage'), tasks.round)`
  const ran = await ctx.db
    .selectFrom('instances')
    .innerJoin('tasks', 'tasks.id', 'instances.task_id')
    .select([stage.as('stage'), 'instances.device_id as device', (eb) => eb.fn.countAll<number>().as('n')])
    .where('instances.job_id', '=', jobId)
    .where('instances.state', '=', 'valid')
    .groupBy([stage, 'instances.device_id'])
    .execute()
  // Micro-batches done per stage: tasks, not instances (a verified task may have run twice).
  const doneTasks = await ctx.db
    .selectFrom('tasks')
    .select([stage.as('stage'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('job_id', '=', jobId)
    .where('state', '=', 'done')
    .groupBy(stage)
    .execute()
  return {
    microBatches: plan.microBatches.length,
    microBatchRows: plan.microBatchRows,
    bottleneckSec: plan.bottleneckSec,
    bubbleFraction: plan.bubbleFraction,
    segments: plan.segments.map((s) => ({
      stage: s.stage,
      from: s.from,
      to: s.to,
      params: s.params,
      memoryBytes: s.memoryBytes,
      plannedDevice: s.plannedDevice,
      ranOn: ran.filter((r) => Number(r.stage) === s.stage).map((r) => r.device),
      done: Number(doneTasks.find((r) => Number(r.stage) === s.stage)?.n ?? 0),
    })),
  }
}

/** The latest jobs; only `ownerId`'s when given. */
export async function listJobs(ctx: Ctx, ownerId?: string): Promise<JobView[]> {
  let q = ctx.db.selectFrom('jobs').select('id')
  if (ownerId !== undefined) q = q.where('owner_id', '=', ownerId)
  const rows = await q.orderBy('created_at', 'desc').limit(50).execute()
  const views = await Promise.all(rows.map((r) => jobView(ctx, r.id)))
  return views.map(listItem)
}

/** A job as a list shows it: the whole view but only the latest curve point. */
export function listItem(v: JobView): JobView {
  return { ...v, history: v.history.slice(-1) }
}

/** Cancels a queued or running job. Returns the leases that devices must drop. */
export async function cancelJob(ctx: Ctx, id: string): Promise<{ leases: { instanceId: number; deviceId: string }[] }> {
  const row = await getJobRow(ctx, id)
  if (row.status !== 'queued' && row.status !== 'running') {
    throw new NimbleError({ code: 'conflict', message: `job ${id} is ${row.status} and can no longer be cancelled` })
  }
  const now = ctx.now()
  const leases = await ctx.db.transaction().execute(async (trx) => {
    const r = await trx.updateTable('jobs').set({ status: 'cancelled', updated_at: now }).where('id', '=', id).where('status', 'in', ['queued', 'running']).executeTakeFirst()
    if (Number(r.numUpdatedRows) !== 1) return []
    return endJobWork(trx, id, now)
  })
  transition(ctx.log, 'job', id, row.status, 'cancelled', { leases: leases.length })
  ctx.bus.emit('job:changed', id)
  return { leases }
}
