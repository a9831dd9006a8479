/**
 * Jobs as the owner sees them: create (validated and planned at once), view, list, cancel.
 * The job's progress afterwards belongs to the planner and the assimilator.
 */
import crypto from 'node:crypto'
import { NimbleError, type ColumnInfo, type CreateJobBody, type JobView, type Metrics, type RoundPoint } from '../lib/protocol'
import type { Ctx } from './context'
import { getDatasetRow } from './datasets'
import { transition } from './log'
import { buildPlan, DEFAULTS, type Plan } from './plan-job'
import type { JobRow } from './store/schema'

const EMPTY_METRICS: Metrics = { loss: null, accuracy: null, valLoss: null, valAccuracy: null }

export async function createJob(ctx: Ctx, body: CreateJobBody): Promise<{ id: string }> {
  const ds = await getDatasetRow(ctx.db, body.datasetId)
  const columns = JSON.parse(ds.columns_json) as ColumnInfo[]
  if (!columns.some((c) => c.name === body.target)) {
    throw new NimbleError({
      code: 'unknown_column',
      field: 'target',
      message: `target column "${body.target}" is not in dataset ${ds.id}; its columns are: ${columns.map((c) => c.name).join(', ')}`,
    })
  }
  const plan = buildPlan(ctx.blobs, ctx.blobs.read(ds.blob_hash).toString('utf8'), columns, body)
  const now = ctx.now()
  const id = `job_${crypto.randomBytes(9).toString('base64url')}`
  await ctx.db
    .insertInto('jobs')
    .values({
      id,
      name: body.name?.trim() || `${body.model.template === 'mlp' ? 'MLP' : 'Logistic regression'} on ${ds.name} → ${body.target}`,
      type: body.type,
      status: 'queued',
      dataset_id: ds.id,
      request_json: JSON.stringify(body),
      plan_json: JSON.stringify(plan),
      round: 0,
      total_rounds: plan.totalRounds,
      weights_hash: null,
      metrics_json: null,
      test_json: null,
      error: null,
      created_at: now,
      updated_at: now,
    })
    .execute()
  transition(ctx.log, 'job', id, 'new', 'queued', { dataset: ds.id, rounds: plan.totalRounds })
  ctx.bus.emit('job:created', id)
  return { id }
}

export async function getJobRow(ctx: Ctx, id: string): Promise<JobRow> {
  const row = await ctx.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NimbleError({ code: 'not_found', message: `no job ${id}` })
  return row
}

export async function jobView(ctx: Ctx, id: string): Promise<JobView> {
  const row = await getJobRow(ctx, id)
  const { db } = ctx
  const [rounds, taskCounts, reassigned, devices] = await Promise.all([
    db.selectFrom('rounds').selectAll().where('job_id', '=', id).orderBy('round').execute(),
    db.selectFrom('tasks').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).where('job_id', '=', id).groupBy('state').execute(),
    db.selectFrom('instances').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', '=', id).where('state', 'in', ['expired', 'abandoned', 'failed', 'invalid']).executeTakeFirst(),
    db
      .selectFrom('instances')
      .innerJoin('devices', 'devices.id', 'instances.device_id')
      .select(['devices.id', 'devices.name', 'devices.backend', (eb) => eb.fn.countAll<number>().as('tasks')])
      .where('instances.job_id', '=', id)
      .where('instances.state', '=', 'valid')
      .groupBy(['devices.id', 'devices.name', 'devices.backend'])
      .execute(),
  ])
  const count = (s: string) => Number(taskCounts.find((t) => t.state === s)?.n ?? 0)
  const total = taskCounts.reduce((a, t) => a + Number(t.n), 0)
  const plan = row.plan_json ? (JSON.parse(row.plan_json) as Plan) : null
  const request = JSON.parse(row.request_json) as CreateJobBody
  const currentRoundTasks = await db.selectFrom('tasks').select(['state']).where('job_id', '=', id).where('round', '=', row.round).execute()
  const partial = currentRoundTasks.length ? currentRoundTasks.filter((t) => t.state === 'done').length / currentRoundTasks.length : 0
  const progress = row.status === 'succeeded' ? 1 : Math.min(1, (row.round + partial) / Math.max(1, row.total_rounds))
  const history: RoundPoint[] = rounds.map((r) => ({ round: r.round, at: new Date(r.created_at).toISOString(), devices: r.devices, ...(JSON.parse(r.metrics_json) as Metrics) }))
  return {
    id: row.id,
    name: row.name,
    type: 'train',
    status: row.status as JobView['status'],
    progress,
    round: row.round,
    totalRounds: row.total_rounds,
    metrics: row.metrics_json ? (JSON.parse(row.metrics_json) as Metrics) : EMPTY_METRICS,
    test: row.test_json ? JSON.parse(row.test_json) : null,
    history,
    devices: devices.map((d) => ({ id: d.id, name: d.name, backend: d.backend, tasks: Number(d.tasks) })),
    tasks: { total, done: count('done'), running: count('leased'), reassigned: Number(reassigned?.n ?? 0) },
    datasetId: row.dataset_id,
    target: request.target,
    classes: plan?.prep.classes ?? [],
    config: {
      template: request.model.template,
      hidden: plan?.model.hidden ?? [],
      epochs: row.total_rounds,
      batchSize: plan?.hyper.batchSize ?? DEFAULTS.batchSize,
      learningRate: plan?.hyper.learningRate ?? DEFAULTS.learningRate,
      optimizer: plan?.hyper.optimizer ?? DEFAULTS.optimizer,
      localEpochs: plan?.hyper.localEpochs ?? DEFAULTS.localEpochs,
      rows: plan ? { train: plan.train.rows, validation: plan.validation.rows, test: plan.test.rows } : null,
      inputSize: plan?.model.inputSize ?? null,
    },
    error: row.error,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  }
}

export async function listJobs(ctx: Ctx): Promise<JobView[]> {
  const rows = await ctx.db.selectFrom('jobs').select('id').orderBy('created_at', 'desc').limit(50).execute()
  const views = await Promise.all(rows.map((r) => jobView(ctx, r.id)))
  return views.map((v) => ({ ...v, history: v.history.slice(-1) }))
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
    const live = await trx.selectFrom('instances').select(['id', 'device_id']).where('job_id', '=', id).where('state', '=', 'leased').execute()
    await trx.updateTable('instances').set({ state: 'cancelled', finished_at: now }).where('job_id', '=', id).where('state', '=', 'leased').execute()
    await trx.updateTable('tasks').set({ state: 'cancelled', updated_at: now }).where('job_id', '=', id).where('state', 'in', ['ready', 'leased']).execute()
    return live.map((l) => ({ instanceId: l.id, deviceId: l.device_id }))
  })
  transition(ctx.log, 'job', id, row.status, 'cancelled', { leases: leases.length })
  ctx.bus.emit('job:changed', id)
  return { leases }
}
