/**
 * Assimilator: valid results -> the job's new state.
 *
 * Reads:  the accepted results (task result blobs) of a job's current round.
 * Writes: training: when every shard of the round is done, the example-weighted mean of the
 *         returned weights (FedAvg), or DiLoCo's outer step over it (outer SGD with Nesterov
 *         momentum on the mean delta; the momentum buffer is a blob), a `rounds` row with the
 *         coordinator's own evaluation, jobs.round+1; early stopping keeps the best round's
 *         weights; after the last round the held-out test report and running=>succeeded.
 *         inference: the shards' outputs stitched in row order, running=>succeeded.
 * Wakes:  the planner (round:done) for the next round; dashboards (job:changed).
 *
 * Idempotent: the (job, round) primary key of `rounds` and the guard on jobs.round make a
 * round count once, however many times it is triggered (restarts included).
 */
import { outerStep } from '../lib/compute/outer'
import { weightedAverage } from '../lib/compute/average'
import { packTensors, unpackTensors, type NamedTensor, type RoundPoint } from '../lib/protocol'
import type { Ctx } from './context'
import { evaluatePart, roundMetrics } from './evaluation'
import type { InferPlan } from './infer-job'
import type { PipelineTrainer } from './pipeline-train'
import { stageTask, type PipelinePlan } from './pipeline-job'
import { transition } from './log'
import type { Plan } from './plan-job'
import type { TensorCache } from './tensor-cache'
import type { JobRow } from './store/schema'
import { failpoint } from './failpoint'

export type Best = { round: number; valLoss: number; weightsHash: string; stoppedBy?: 'budget' }

export class Assimilator {
  private locks = new Map<string, Promise<void | undefined>>()
  private waiting = new Map<string, Promise<void | undefined>>()
  /** Called with each new curve point (live dashboards). */
  onPoint: (jobId: string, point: RoundPoint) => void = () => {}

  constructor(
    private ctx: Ctx,
    private tensors: TensorCache,
    private trainer: PipelineTrainer,
  ) {}

  async scan(): Promise<void> {
    const jobs = await this.ctx.db.selectFrom('jobs').select(['id', 'round']).where('status', '=', 'running').execute()
    for (const j of jobs) await this.tryRound(j.id, j.round)
  }

  /** Serialised per job: concurrent results for the same round are assimilated once. */
  tryRound(jobId: string, round: number): Promise<void | undefined> {
    // A run for this job and round already waiting will see every result in by then: one is enough.
    const key = `${jobId}:${round}`
    const waiting = this.waiting.get(key)
    if (waiting) return waiting
    const prev = this.locks.get(jobId) ?? Promise.resolve()
    // Across coordinators too: one assimilates a job at a time (the others wait, then find it done).
    // A turn of the event loop first: every task of the round accepted in this turn joins this run.
    const next = prev
      .then(() => new Promise((r) => setImmediate(r)))
      .then(() => {
        this.waiting.delete(key)
        return this.ctx.cluster.exclusive(`job:${jobId}`, () => this.assimilate(jobId, round), { wait: true })
      })
      .catch((e) => this.fail(jobId, e))
    this.waiting.set(key, next)
    this.locks.set(jobId, next)
    // Both ways: a `finally` here would make a second promise that rejects with `next`, unhandled.
    const unlock = () => {
      if (this.locks.get(jobId) === next) this.locks.delete(jobId)
    }
    next.then(unlock, unlock)
    return next
  }

  private async assimilate(jobId: string, round: number): Promise<void> {
    const { db } = this.ctx
    const job = await db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst()
    if (job?.status === 'running' && job.type === 'infer' && job.plan_json && (JSON.parse(job.plan_json) as { kind: string }).kind === 'pipeline') {
      return this.advancePipeline(job, JSON.parse(job.plan_json) as PipelinePlan)
    }
    if (!job || job.status !== 'running' || job.round !== round || !job.plan_json) return
    const tasks = await db.selectFrom('tasks').select(['id', 'state', 'rows', 'shard', 'result_hash']).where('job_id', '=', jobId).where('round', '=', round).orderBy('shard').execute()
    const pipelined = (JSON.parse(job.plan_json) as Plan).pipeline !== undefined
    if (!pipelined && (tasks.length === 0 || tasks.some((t) => t.state !== 'done' || !t.result_hash))) return
    const plan = JSON.parse(job.plan_json) as Plan | InferPlan
    if (plan.kind === 'train' && plan.pipeline) return this.trainer.advance(job, plan as Plan & { pipeline: NonNullable<Plan['pipeline']> })
    if (plan.kind === 'infer') return this.stitch(job, tasks)
    return this.average(job, plan, round, tasks)
  }

  private async average(job: JobRow, plan: Plan, round: number, tasks: { rows: number; result_hash: string | null }[]): Promise<void> {
    const { db, blobs } = this.ctx
    const jobId = job.id
    failpoint('average', round)
    const mean = weightedAverage(tasks.map((t) => ({ tensors: unpackTensors(blobs.readArrayBuffer(t.result_hash!)), weight: t.rows })))
    let next: NamedTensor[] = mean
    let outerHash: string | null = job.outer_hash
    if (plan.algorithm.type === 'diloco') {
      const global = unpackTensors(blobs.readArrayBuffer(job.weights_hash ?? plan.initialWeights.hash))
      const momentum = job.outer_hash ? unpackTensors(blobs.readArrayBuffer(job.outer_hash)) : null
      const step = outerStep(global, mean, momentum, { learningRate: plan.algorithm.outerLearningRate, momentum: plan.algorithm.outerMomentum, nesterov: true })
      next = step.weights
      outerHash = blobs.put(packTensors(step.momentum)).hash
    }
    const ref = blobs.put(packTensors(next))
    const { metrics, validation } = roundMetrics(plan, this.tensors, next)

    // Early stopping on validation loss: remember the best round; stop after `patience` rounds without improvement.
    let best: Best | null = job.best_json ? (JSON.parse(job.best_json) as Best) : null
    const valLoss = metrics.valLoss ?? metrics.loss ?? Infinity
    if (!best || valLoss < best.valLoss - (plan.earlyStopping?.minDelta ?? 0)) best = { round, valLoss, weightsHash: ref.hash }
    const patienceOut = plan.earlyStopping !== null && round - best.round >= plan.earlyStopping.patience
    // Budget: stop before a round that would overrun it (at the mean cost of the rounds so far).
    let budgetOut = false
    if (job.budget !== null && round + 1 < job.total_rounds) {
      const spent = await db.selectFrom('instances').select((eb) => eb.fn.sum<number>('cost').as('c')).where('job_id', '=', jobId).where('state', '=', 'valid').executeTakeFirst()
      const cost = Number(spent?.c ?? 0)
      budgetOut = cost + cost / (round + 1) > job.budget
      if (budgetOut) best = { ...best, stoppedBy: 'budget' }
    }
    const finished = round + 1 >= job.total_rounds || patienceOut || budgetOut
    const finalHash = (plan.earlyStopping || budgetOut) && finished ? best.weightsHash : ref.hash
    const test = finished ? evaluatePart(plan, this.tensors, finalHash === ref.hash ? next : unpackTensors(blobs.readArrayBuffer(finalHash)), plan.test) : null
    const devices = await db.selectFrom('instances').select((eb) => eb.fn.count<number>('device_id').distinct().as('n')).where('job_id', '=', jobId).where('state', '=', 'valid').executeTakeFirst()
    const now = this.ctx.now()
    const done = await db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('jobs')
        .set({
          round: round + 1,
          weights_hash: finalHash,
          outer_hash: outerHash,
          best_json: JSON.stringify(best),
          metrics_json: JSON.stringify(metrics),
          validation_json: validation ? JSON.stringify(validation) : null,
          updated_at: now,
          ...(finished ? { status: 'succeeded', test_json: test ? JSON.stringify(test) : null } : {}),
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
    failpoint('averaged', round)
    this.ctx.log.info({ job: jobId, round, ...metrics }, `job ${jobId} round ${round} from ${tasks.length} result(s) valLoss:${fmt(metrics.valLoss)} valAccuracy:${fmt(metrics.valAccuracy)}`)
    this.onPoint(jobId, { round, at: new Date(now).toISOString(), devices: Number(devices?.n ?? 0), ...metrics })
    if (finished) transition(this.ctx.log, 'job', jobId, 'running', 'succeeded', { rounds: round + 1, stoppedEarly: patienceOut && round + 1 < job.total_rounds ? 'yes' : undefined, stoppedBy: budgetOut ? 'budget' : undefined, bestRound: best.round })
    this.ctx.bus.emit('job:changed', jobId)
    this.ctx.bus.emit('round:done', jobId, round)
  }

  /**
   * Pipeline: every finished (stage, micro-batch) without a successor gets one (its output is
   * the next stage's input); when the last stage has every micro-batch, the outputs are
   * stitched in micro-batch order. Idempotent through the (job, round, shard) unique key.
   */
  private async advancePipeline(job: JobRow, plan: PipelinePlan): Promise<void> {
    const { db, blobs } = this.ctx
    const K = plan.segments.length
    const M = plan.microBatches.length
    const tasks = await db.selectFrom('tasks').select(['round', 'shard', 'state', 'result_hash']).where('job_id', '=', job.id).execute()
    const have = new Set(tasks.map((t) => `${t.round}:${t.shard}`))
    const now = this.ctx.now()
    const next = tasks
      .filter((t) => t.state === 'done' && t.result_hash && t.round + 1 < K && !have.has(`${t.round + 1}:${t.shard}`))
      .map((t) => {
        const planned = stageTask(plan, t.round + 1, t.shard, { hash: t.result_hash!, bytes: blobs.size(t.result_hash!), url: `/api/blobs/${t.result_hash}` })
        return { job_id: job.id, round: t.round + 1, shard: t.shard, rows: planned.rows, state: 'ready' as const, payload_json: JSON.stringify(planned.payload), flops: planned.flops, attempts: 0, result_hash: null, created_at: now, updated_at: now }
      })
    if (next.length) {
      await db.insertInto('tasks').values(next).onConflict((oc) => oc.columns(['job_id', 'round', 'shard']).doNothing()).execute()
      const deepest = Math.max(...next.map((t) => t.round))
      if (deepest > job.round) await db.updateTable('jobs').set({ round: deepest, updated_at: now }).where('id', '=', job.id).where('round', '<', deepest).execute()
      this.ctx.bus.emit('tasks:ready')
      this.ctx.bus.emit('job:changed', job.id)
    }
    const last = tasks.filter((t) => t.round === K - 1 && t.state === 'done' && t.result_hash).sort((a, b) => a.shard - b.shard)
    if (last.length < M) return
    const { ref, rows } = this.stitchOutputs(last.map((t) => t.result_hash!))
    const r = await db.updateTable('jobs').set({ round: K, outputs_hash: ref.hash, status: 'succeeded', updated_at: now }).where('id', '=', job.id).where('status', '=', 'running').executeTakeFirst()
    if (Number(r.numUpdatedRows) !== 1) return
    transition(this.ctx.log, 'job', job.id, 'running', 'succeeded', { rows, stages: K, microBatches: M })
    this.ctx.bus.emit('job:changed', job.id)
  }

  /** The `y` of each result pack, rows concatenated in the given order, stored as one pack [rows, width]. */
  private stitchOutputs(hashes: string[]): { ref: { hash: string }; rows: number } {
    const parts = hashes.map((h) => unpackTensors(this.ctx.blobs.readArrayBuffer(h)).find((x) => x.name === 'y')!)
    const width = parts[0].data.length / Math.max(1, parts[0].shape[0])
    const rows = parts.reduce((a, p) => a + p.shape[0], 0)
    const all = new Float32Array(rows * width)
    let off = 0
    for (const p of parts) {
      all.set(p.data, off)
      off += p.data.length
    }
    return { ref: this.ctx.blobs.put(packTensors([{ name: 'y', shape: [rows, width], data: all }])), rows }
  }

  /** Inference: the shards' outputs, concatenated in shard (= row) order. */
  private async stitch(job: JobRow, tasks: { rows: number; result_hash: string | null }[]): Promise<void> {
    const { db, blobs } = this.ctx
    const { ref, rows } = this.stitchOutputs(tasks.map((t) => t.result_hash!))
    const now = this.ctx.now()
    const r = await db
      .updateTable('jobs')
      .set({ round: 1, outputs_hash: ref.hash, status: 'succeeded', updated_at: now })
      .where('id', '=', job.id)
      .where('round', '=', 0)
      .where('status', '=', 'running')
      .executeTakeFirst()
    if (Number(r.numUpdatedRows) !== 1) return
    transition(this.ctx.log, 'job', job.id, 'running', 'succeeded', { rows, shards: tasks.length })
    this.ctx.bus.emit('job:changed', job.id)
  }

  private async fail(jobId: string, e: unknown): Promise<void> {
    const message = e instanceof Error ? e.message : String(e)
    this.ctx.log.error({ err: e, job: jobId }, `job ${jobId} assimilation failed`)
    const now = this.ctx.now()
    const r = await this.ctx.db.updateTable('jobs').set({ status: 'failed', error: `combining the round's results failed: ${message}`, updated_at: now }).where('id', '=', jobId).where('status', '=', 'running').executeTakeFirst()
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
