/**
 * Planner: job -> tasks; owns the job's state.
 *
 * Reads:  jobs (queued|running), their plan, the number of connected devices.
 * Writes: one task per data shard for the job's current round (tasks: new=>ready),
 *         jobs queued=>running.
 * Wakes:  the dispatcher (tasks:ready).
 *
 * The shard count is chosen each round from the devices online, so a round uses the
 * fleet as it is now. Shards are contiguous slices of the (pre-shuffled) training rows,
 * stored as content-addressed blobs: the same slice is never stored twice.
 */
import { shardRanges } from '../lib/data'
import { trainFlops } from '../lib/model/shapes'
import { packTensors, type BlobRef } from '../lib/protocol'
import type { Ctx } from './context'
import { transition } from './log'
import type { Plan } from './plan-job'
import type { TensorCache } from './tensor-cache'

export class Planner {
  private shardCache = new Map<string, { ref: BlobRef; rows: number }[]>()

  constructor(
    private ctx: Ctx,
    private tensors: TensorCache,
    private devicesOnline: () => number,
  ) {}

  /** Makes sure every active job has the tasks of its current round. Idempotent. */
  async scan(): Promise<void> {
    const jobs = await this.ctx.db.selectFrom('jobs').select('id').where('status', 'in', ['queued', 'running']).execute()
    for (const j of jobs) await this.ensureRound(j.id)
  }

  async ensureRound(jobId: string): Promise<void> {
    const { db } = this.ctx
    const job = await db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst()
    if (!job || !job.plan_json || (job.status !== 'queued' && job.status !== 'running')) return
    if (job.round >= job.total_rounds) return
    const existing = await db.selectFrom('tasks').select('id').where('job_id', '=', jobId).where('round', '=', job.round).limit(1).executeTakeFirst()
    if (existing) return
    const plan = JSON.parse(job.plan_json) as Plan
    const weights = job.weights_hash ? { hash: job.weights_hash, bytes: this.ctx.blobs.size(job.weights_hash), url: `/api/blobs/${job.weights_hash}` } : plan.initialWeights
    const maxByRows = Math.max(1, Math.floor(plan.train.rows / Math.max(1, Math.min(plan.hyper.batchSize, 8))))
    const k = Math.max(1, Math.min(this.devicesOnline(), this.ctx.config.NIMBLE_MAX_SHARDS, maxByRows))
    const shards = this.shards(plan, k)
    const now = this.ctx.now()
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('tasks')
        .values(
          shards.map((s, i) => ({
            job_id: jobId,
            round: job.round,
            shard: i,
            rows: s.rows,
            state: 'ready' as const,
            payload_json: JSON.stringify({
              model: plan.model,
              hyper: { ...plan.hyper, seed: (plan.seed * 7919 + job.round * 131 + i) | 0 },
              weights,
              data: s.ref,
            }),
            flops: trainFlops(plan.model, s.rows, plan.hyper.localEpochs),
            attempts: 0,
            result_hash: null,
            created_at: now,
            updated_at: now,
          })),
        )
        .onConflict((oc) => oc.columns(['job_id', 'round', 'shard']).doNothing())
        .execute()
      if (job.status === 'queued') await trx.updateTable('jobs').set({ status: 'running', updated_at: now }).where('id', '=', jobId).where('status', '=', 'queued').execute()
    })
    if (job.status === 'queued') transition(this.ctx.log, 'job', jobId, 'queued', 'running')
    this.ctx.log.info({ job: jobId, round: job.round, shards: k }, `job ${jobId} round ${job.round} planned as ${k} shard(s)`)
    this.ctx.bus.emit('job:changed', jobId)
    this.ctx.bus.emit('tasks:ready')
  }

  private shards(plan: Plan, k: number): { ref: BlobRef; rows: number }[] {
    const key = `${plan.train.ref.hash}:${k}`
    const hit = this.shardCache.get(key)
    if (hit) return hit
    const x = this.tensors.tensor(plan.train.ref.hash, 'x')
    const y = this.tensors.tensor(plan.train.ref.hash, 'y')
    const width = x.shape[1]
    const classes = y.shape[1]
    const out = shardRanges(plan.train.rows, k).map(({ start, end }) => {
      const rows = end - start
      const pack = packTensors([
        { name: 'x', shape: [rows, width], data: x.data.slice(start * width, end * width) },
        { name: 'y', shape: [rows, classes], data: y.data.slice(start * classes, end * classes) },
      ])
      return { ref: this.ctx.blobs.put(pack), rows }
    })
    this.shardCache.set(key, out)
    return out
  }
}
