/**
 * Assimilator: valid results -> the job's new weights.
 *
 * Reads:  the accepted results (task result blobs) of a job's current round.
 * Writes: when every shard of the round is done: the example-weighted average of the
 *         returned weights (FedAvg) as a blob, a `rounds` row with the coordinator's own
 *         evaluation (training and validation loss/accuracy), jobs.round+1; after the
 *         last round the held-out test figures and jobs running=>succeeded.
 * Wakes:  the planner (round:done) for the next round; dashboards (job:changed).
 *
 * Idempotent: the (job, round) primary key of `rounds` and the guard on jobs.round make
 * a round count once, however many times it is triggered (restarts included).
 */
import { evaluate } from '../lib/compute'
import { weightedAverage } from '../lib/compute/average'
import { packTensors, unpackTensors, type Metrics, type ModelSpec, type NamedTensor, type RoundPoint } from '../lib/protocol'
import type { Ctx } from './context'
import { transition } from './log'
import type { Plan } from './plan-job'
import type { TensorCache } from './tensor-cache'

/** Training-set figures are computed on at most this many rows per round. */
const TRAIN_EVAL_ROWS = 4096

export class Assimilator {
  private locks = new Map<string, Promise<void>>()
  /** Called with each new curve point (live dashboards). */
  onPoint: (jobId: string, point: RoundPoint) => void = () => {}

  constructor(
    private ctx: Ctx,
    private tensors: TensorCache,
  ) {}

  async scan(): Promise<void> {
    const jobs = await this.ctx.db.selectFrom('jobs').select(['id', 'round']).where('status', '=', 'running').execute()
    for (const j of jobs) await this.tryRound(j.id, j.round)
  }

  /** Serialised per job: concurrent results for the same round average once. */
  tryRound(jobId: string, round: number): Promise<void> {
    const prev = this.locks.get(jobId) ?? Promise.resolve()
    const next = prev.then(() => this.assimilate(jobId, round)).catch((e) => this.fail(jobId, e))
    this.locks.set(jobId, next)
    void next.finally(() => {
      if (this.locks.get(jobId) === next) this.locks.delete(jobId)
    })
    return next
  }

  private async assimilate(jobId: string, round: number): Promise<void> {
    const { db, blobs } = this.ctx
    const job = await db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst()
    if (!job || job.status !== 'running' || job.round !== round || !job.plan_json) return
    const tasks = await db.selectFrom('tasks').select(['id', 'state', 'rows', 'result_hash']).where('job_id', '=', jobId).where('round', '=', round).execute()
    if (tasks.length === 0 || tasks.some((t) => t.state !== 'done' || !t.result_hash)) return
    const plan = JSON.parse(job.plan_json) as Plan
    const averaged = weightedAverage(tasks.map((t) => ({ tensors: unpackTensors(blobs.readArrayBuffer(t.result_hash!)), weight: t.rows })))
    const ref = blobs.put(packTensors(averaged))
    const metrics = this.measure(plan, averaged)
    const finished = round + 1 >= job.total_rounds
    const test = finished ? this.testFigures(plan, averaged) : null
    const devices = await db.selectFrom('instances').select((eb) => eb.fn.count<number>('device_id').distinct().as('n')).where('job_id', '=', jobId).where('state', '=', 'valid').executeTakeFirst()
    const now = this.ctx.now()
    const done = await db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('jobs')
        .set({
          round: round + 1,
          weights_hash: ref.hash,
          metrics_json: JSON.stringify(metrics),
          updated_at: now,
          ...(finished ? { status: 'succeeded', test_json: JSON.stringify(test) } : {}),
        })
        .where('id', '=', jobId)
        .where('round', '=', round)
        .where('status', '=', 'running')
        .executeTakeFirst()
      if (Number(r.numUpdatedRows) !== 1) return false
      await trx
        .insertInto('rounds')
        .values({ job_id: jobId, round, weights_hash: ref.hash, metrics_json: JSON.stringify(metrics), devices: Number(devices?.n ?? 0), created_at: now })
        .execute()
      return true
    })
    if (!done) return
    this.ctx.log.info({ job: jobId, round, ...metrics }, `job ${jobId} round ${round} averaged from ${tasks.length} result(s) valAccuracy:${fmt(metrics.valAccuracy)}`)
    this.onPoint(jobId, { round, at: new Date(now).toISOString(), devices: Number(devices?.n ?? 0), ...metrics })
    if (finished) transition(this.ctx.log, 'job', jobId, 'running', 'succeeded', { testAccuracy: fmt(test!.accuracy) })
    this.ctx.bus.emit('job:changed', jobId)
    this.ctx.bus.emit('round:done', jobId, round)
  }

  private measure(plan: Plan, weights: NamedTensor[]): Metrics {
    const m = plan.model as ModelSpec
    const part = (hash: string, rows: number, cap: number) => {
      if (rows === 0) return { loss: null, accuracy: null }
      const x = this.tensors.tensor(hash, 'x')
      const y = this.tensors.tensor(hash, 'y')
      const n = Math.min(rows, cap)
      return evaluate(m, weights, x.data.subarray(0, n * x.shape[1]), y.data.subarray(0, n * y.shape[1]), n)
    }
    const train = part(plan.train.ref.hash, plan.train.rows, TRAIN_EVAL_ROWS)
    const val = part(plan.validation.ref.hash, plan.validation.rows, Infinity)
    return { loss: train.loss, accuracy: train.accuracy, valLoss: val.loss, valAccuracy: val.accuracy }
  }

  private testFigures(plan: Plan, weights: NamedTensor[]): { loss: number; accuracy: number; rows: number } | null {
    if (plan.test.rows === 0) return null
    const x = this.tensors.tensor(plan.test.ref.hash, 'x')
    const y = this.tensors.tensor(plan.test.ref.hash, 'y')
    const r = evaluate(plan.model, weights, x.data, y.data, plan.test.rows)
    return { loss: r.loss, accuracy: r.accuracy, rows: plan.test.rows }
  }

  private async fail(jobId: string, e: unknown): Promise<void> {
    const message = e instanceof Error ? e.message : String(e)
    this.ctx.log.error({ err: e, job: jobId }, `job ${jobId} assimilation failed`)
    const now = this.ctx.now()
    const r = await this.ctx.db.updateTable('jobs').set({ status: 'failed', error: `averaging the round failed: ${message}`, updated_at: now }).where('id', '=', jobId).where('status', '=', 'running').executeTakeFirst()
    if (Number(r.numUpdatedRows) === 1) {
      transition(this.ctx.log, 'job', jobId, 'running', 'failed')
      await this.ctx.db.updateTable('tasks').set({ state: 'cancelled', updated_at: now }).where('job_id', '=', jobId).where('state', 'in', ['ready', 'leased']).execute()
      this.ctx.bus.emit('job:changed', jobId)
    }
  }
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '-' : v.toFixed(4)
}
