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
import { forwardFlops, trainFlops, trainMemoryBytes } from '../lib/model/shapes'
import { requiredBackends } from '../lib/model/backends'
import { packTensors, type BlobRef } from '../lib/protocol'
import type { Ctx } from './context'
import { transition } from './log'
import type { InferPlan } from './infer-job'
import type { PipelineTrainer } from './pipeline-train'
import { stageTask, type PipelinePlan } from './pipeline-job'
import { roundLearningRate, type Plan } from './plan-job'
import type { TensorCache } from './tensor-cache'

type PlannedTask = { rows: number; flops: number; payload: Record<string, unknown>; shard?: number }

export class Planner {
  private shardCache = new Map<string, { ref: BlobRef; rows: number }[]>()
  private lastSplit = new Map<string, Map<string, number>>()

  constructor(
    private ctx: Ctx,
    private tensors: TensorCache,
    /** The devices connected now: measured speed, backend and memory budget. */
    private devices: () => { id: string; gflops: number; backend: string; memoryBudget: number }[],
    private trainer: PipelineTrainer,
  ) {}

  /** Makes sure every active job has the tasks of its current round. Idempotent. */
  async scan(): Promise<void> {
    const jobs = await this.ctx.db.selectFrom('jobs').select('id').where('status', 'in', ['queued', 'running']).execute()
    for (const j of jobs) await this.ensureRound(j.id)
  }

  /** Plans the job's current round unless it has tasks. One coordinator plans a job at a time. */
  async ensureRound(jobId: string): Promise<void> {
    await this.ctx.cluster.exclusive(`job:${jobId}`, () => this.planRound(jobId), { wait: true })
  }

  private async planRound(jobId: string): Promise<void> {
    const { db } = this.ctx
    const job = await db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst()
    if (!job || !job.plan_json || (job.status !== 'queued' && job.status !== 'running')) return
    if (job.round >= job.total_rounds) return
    const existing = await db.selectFrom('tasks').select('id').where('job_id', '=', jobId).where('round', '=', job.round).limit(1).executeTakeFirst()
    if (existing) return
    const plan = JSON.parse(job.plan_json) as Plan | InferPlan | PipelinePlan
    const now = this.ctx.now()
    // A pipeline starts with every micro-batch's first stage; the assimilator creates the later stages.
    if (plan.kind === 'pipeline' && job.round > 0) return
    const planned: PlannedTask[] =
      plan.kind === 'pipeline'
        ? plan.microBatches.map((mb, m) => stageTask(plan, 0, m, mb.ref))
        : plan.kind === 'infer'
          ? this.inferTasks(plan)
          : plan.pipeline
            ? this.trainer.firstTasks(job, plan as Plan & { pipeline: NonNullable<Plan['pipeline']> })
            : this.trainTasks(plan, job.round, job.weights_hash)
    const k = planned.length
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('tasks')
        .values(
          planned.map((s, i) => ({
            job_id: jobId,
            round: job.round,
            shard: s.shard ?? i,
            rows: s.rows,
            state: 'ready' as const,
            payload_json: JSON.stringify(s.payload),
            flops: s.flops,
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

  /**
   * One training task per shard; the shard count follows the devices online now. With speed
   * sharding each of the k fastest devices gets rows in proportion to its measured speed (and
   * the task prefers that device), so the round's tasks finish together.
   */
  private trainTasks(plan: Plan, round: number, weightsHash: string | null): PlannedTask[] {
    const weights = weightsHash ? { hash: weightsHash, bytes: this.ctx.blobs.size(weightsHash), url: `/api/blobs/${weightsHash}` } : plan.initialWeights
    const minRows = Math.max(1, Math.min(plan.hyper.batchSize, 8))
    const maxByRows = Math.max(1, Math.floor(plan.train.rows / minRows))
    // Only devices that can run the task (backend, memory) get a shard planned for them.
    const backends: string[] = requiredBackends(plan.model, 'train')
    let need = 0
    try {
      need = trainMemoryBytes(plan.model, plan.hyper.batchSize)
    } catch {}
    const capable = this.devices().filter((d) => backends.includes(d.backend) && (d.memoryBudget === 0 || d.memoryBudget >= need))
    const online = [...(capable.length ? capable : this.devices())].sort((a, b) => b.gflops - a.gflops || a.id.localeCompare(b.id))
    const k = Math.max(1, Math.min(online.length, this.ctx.config.NIMBLE_MAX_SHARDS, maxByRows))
    const bySpeed = plan.sharding !== 'equal' && k > 1 && online.slice(0, k).every((d) => d.gflops > 0)
    const chosen = online.slice(0, k)
    const sizes = bySpeed ? this.stableSizes(plan.train.ref.hash, chosen.map((d) => d.id), proportionalSizes(plan.train.rows, chosen.map((d) => d.gflops), minRows)) : null
    const learningRate = roundLearningRate(plan, round)
    return this.shards(plan.train, sizes ?? k).map((s, i) => ({
      rows: s.rows,
      flops: plan.hyper.localSteps ? trainFlops(plan.model, plan.hyper.localSteps * plan.hyper.batchSize, 1) : trainFlops(plan.model, s.rows, plan.hyper.localEpochs),
      payload: {
        kind: 'train',
        model: plan.model,
        hyper: { ...plan.hyper, learningRate, seed: (plan.seed * 7919 + round * 131 + i) | 0 },
        weights,
        data: s.ref,
        shapes: plan.weightShapes,
        ...(bySpeed ? { prefer: chosen[i].id } : {}),
      },
    }))
  }

  /** Inference rows in contiguous shards, one per device online (at least 256 rows each). */
  private inferTasks(plan: InferPlan): PlannedTask[] {
    const k = Math.max(1, Math.min(this.devices().length, this.ctx.config.NIMBLE_MAX_SHARDS, Math.ceil(plan.data.rows / 256)))
    return this.shards(plan.data, k).map((s) => ({
      rows: s.rows,
      flops: forwardFlops(plan.model, s.rows),
      payload: { kind: 'infer', model: plan.model, weights: plan.weights, data: s.ref, shapes: [{ name: 'y', shape: [s.rows, plan.model.outputSize] }] },
    }))
  }

  /**
   * Keeps last round's split while every shard is within 30% of its new size: devices keep the
   * shard blobs they already hold instead of fetching freshly cut ones every round.
   */
  private stableSizes(dataHash: string, ids: string[], sizes: number[]): number[] {
    const key = `${dataHash}:${[...ids].sort().join(',')}`
    const last = this.lastSplit.get(key)
    if (last && ids.every((id, i) => Math.abs((last.get(id) ?? -1e9) - sizes[i]) <= 0.3 * sizes[i])) return ids.map((id) => last.get(id)!)
    this.lastSplit.set(key, new Map(ids.map((id, i) => [id, sizes[i]])))
    return sizes
  }

  /** Contiguous slices of a data pack (every tensor in it): k equal ones, or of the given sizes; stored once each. */
  private shards(part: { ref: BlobRef; rows: number }, k: number | number[]): { ref: BlobRef; rows: number }[] {
    const key = `${part.ref.hash}:${Array.isArray(k) ? k.join(',') : k}`
    const hit = this.shardCache.get(key)
    if (hit) return hit
    const all = this.tensors.get(part.ref.hash)
    const ranges = Array.isArray(k) ? k.map((n, i) => ({ start: k.slice(0, i).reduce((a, b) => a + b, 0), end: k.slice(0, i + 1).reduce((a, b) => a + b, 0) })) : shardRanges(part.rows, k)
    const out = ranges.map(({ start, end }) => {
      const rows = end - start
      const pack = packTensors(
        all.map((t) => {
          const w = t.shape.slice(1).reduce((a, b) => a * b, 1)
          return { name: t.name, shape: [rows, ...t.shape.slice(1)], data: t.data.slice(start * w, end * w) }
        }),
      )
      return { ref: this.ctx.blobs.put(pack), rows }
    })
    this.shardCache.set(key, out)
    return out
  }
}

/** Rows split in proportion to `weights` (largest remainder), each raised to `minRows` when rows allow (taken from the largest); sums to `rows`. */
export function proportionalSizes(rows: number, weights: number[], minRows = 1): number[] {
  const total = weights.reduce((a, b) => a + b, 0)
  const exact = weights.map((w) => (rows * w) / total)
  const sizes = exact.map((x) => Math.floor(x))
  let left = rows - sizes.reduce((a, b) => a + b, 0)
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i)
  for (const { i } of order) {
    if (left <= 0) break
    sizes[i]++
    left--
  }
  const floor = Math.min(minRows, Math.floor(rows / weights.length))
  for (let i = 0; i < sizes.length; i++) {
    while (sizes[i] < floor) {
      const largest = sizes.indexOf(Math.max(...sizes))
      sizes[largest]--
      sizes[i]++
    }
  }
  return sizes
}
