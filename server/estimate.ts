/**
 * Cost and duration of a job on the fleet online now, before it runs.
 *
 * Reads: the job request (its plan is built exactly as on submission), the connected devices
 *        with their measured time model (registry.expectedMs: their recent tasks’ time per
 *        FLOP as the coordinator saw it), the price table, and the
 *        coordinator's own per-round overhead measured on recent training jobs.
 * Writes: nothing (plan blobs are content-addressed and shared with the real submission).
 *
 * A data-parallel round is planned as the planner would (the k fastest capable devices,
 * rows by speed unless `equal`), takes as long as its slowest shard plus the round overhead,
 * and costs each shard's expected device-seconds at its class price. Early stopping can only
 * make a job shorter and cheaper, so the estimate is an upper bound there.
 */
import { sql } from 'kysely'
import { NimbleError, type CreateJobBody, type JobEstimate } from '../lib/protocol'
import { shardRanges } from '../lib/data'
import { forwardFlops, trainFlops, trainMemoryBytes } from '../lib/model/shapes'
import { requiredBackends } from '../lib/model/backends'
import { classify } from '../lib/scheduler/pricing'
import type { Ctx } from './context'
import { getDatasetRow } from './datasets'
import { prepareTrainJob } from './jobs'
import { trustOf, trustPolicy } from './trust'
import { tier } from '../lib/verify/trust'
import type { Plan } from './plan-job'
import { proportionalSizes } from './planner'
import type { DeviceSession, Registry } from './registry'

/** Used until a training job has been measured on this coordinator. */
const DEFAULT_ROUND_OVERHEAD_MS = 40

type Shard = { device: DeviceSession; flops: number }

export async function estimateJob(ctx: Ctx, registry: Registry, body: CreateJobBody): Promise<JobEstimate> {
  const notes: string[] = []
  let rounds: number
  let shardsOf: (fleet: DeviceSession[]) => Shard[]
  let fleet: DeviceSession[]
  const healthy = registry.all().filter((d) => d.failures === 0)
  if (body.type === 'train') {
    const { plan } = await prepareTrainJob(ctx, body, registry)
    if (plan.pipeline) notes.push('pipeline training: estimated as its total work spread over the planned segments’ devices')
    if (plan.earlyStopping) notes.push('early stopping can end the job sooner and cheaper')
    rounds = plan.totalRounds
    fleet = capable(healthy, plan, 'train')
    shardsOf = (f) => (plan.pipeline ? pipelineShards(f, trainFlops(plan.model, plan.hyper.batchSize, 1)) : trainShards(ctx, plan, f))
  } else if (body.sourceJobId) {
    const src = await ctx.db.selectFrom('jobs').select(['plan_json', 'status', 'type']).where('id', '=', body.sourceJobId).executeTakeFirst()
    if (!src?.plan_json || src.type !== 'train') throw new NimbleError({ code: 'not_found', field: 'sourceJobId', message: `no training job ${body.sourceJobId}` })
    const plan = JSON.parse(src.plan_json) as Plan
    const ds = await getDatasetRow(ctx.db, body.datasetId)
    rounds = 1
    fleet = capable(healthy, plan, 'infer')
    const k = Math.max(1, Math.min(fleet.length, ctx.config.NIMBLE_MAX_SHARDS, Math.ceil(ds.rows / 256)))
    shardsOf = (f) => shardRanges(ds.rows, Math.min(k, f.length)).map((r, i) => ({ device: f[i], flops: forwardFlops(plan.model, r.end - r.start) }))
  } else {
    const ds = await getDatasetRow(ctx.db, body.datasetId)
    const model = await ctx.db.selectFrom('models').select('info_json').where('id', '=', body.modelId ?? '').executeTakeFirst()
    if (!model) throw new NimbleError({ code: 'not_found', field: 'modelId', message: `no model ${body.modelId}` })
    const info = JSON.parse(model.info_json) as { flopsPerRow?: number; forwardFlopsPerRow?: number; params?: number }
    const perRow = info.forwardFlopsPerRow ?? info.flopsPerRow ?? 2 * (info.params ?? 0)
    notes.push('pipeline inference: estimated as its total work spread over the fleet')
    rounds = 1
    fleet = healthy
    shardsOf = (f) => pipelineShards(f, perRow * ds.rows)
  }
  if (fleet.length === 0) {
    return { devices: 0, rounds, tasksPerRound: 0, cost: null, durationMs: null, basis: 'none', byClass: [], notes: ['no device that can run this job is online: start a worker or open the contribute page', ...notes] }
  }
  const shards = shardsOf(fleet).filter((s) => s.device)
  const overhead = await roundOverheadMs(ctx)
  const copies = await replicaShare(ctx, shards.map((s) => s.device.id))
  if ([...copies.values()].some((p) => p === 1)) notes.push('includes a verification copy of every task of devices that have not earned trust yet')
  let roundMs = 0
  let roundCost = 0
  const byClass = new Map<string, { devices: Set<string>; cost: number }>()
  for (const s of shards) {
    const fallback = s.device.gflops > 0 ? s.flops / (s.device.gflops * 1e6) : 0
    const ms = registry.expectedMs(s.device.id, s.flops, fallback)
    const cls = classify(s.device.profile.backend, s.device.gflops)
    const cost = (ms / 1000) * ctx.config.prices.perSecond[cls]
    // A verification copy costs about as much again, on another device, after the first.
    const p = copies.get(s.device.id) ?? 0
    roundMs = Math.max(roundMs, ms)
    roundCost += cost * (1 + p)
    const c = byClass.get(cls) ?? { devices: new Set<string>(), cost: 0 }
    c.devices.add(s.device.id)
    c.cost += cost * rounds
    byClass.set(cls, c)
  }
  const measured = shards.every((s) => s.device.recent !== undefined)
  if (!measured) notes.push('some devices have not finished a task yet: their time comes from their benchmark')
  return {
    devices: new Set(shards.map((s) => s.device.id)).size,
    rounds,
    tasksPerRound: shards.length,
    cost: roundCost * rounds,
    durationMs: rounds * (roundMs * (1 + anyCopy(shards.map((s) => copies.get(s.device.id) ?? 0))) + overhead),
    basis: measured ? 'measured' : 'benchmark',
    byClass: [...byClass].map(([cls, c]) => ({ class: cls, devices: c.devices.size, cost: c.cost })),
    notes,
  }
}

/**
 * Chance that a task of each device gets a verification copy (server/verifier.ts): 1 until the
 * device has earned trust, then NIMBLE_REPLICATE_PROBABILITY; 0 with replication off.
 */
async function replicaShare(ctx: Ctx, ids: string[]): Promise<Map<string, number>> {
  if (ctx.config.NIMBLE_REPLICATION === 'off' || ids.length === 0) return new Map()
  const policy = trustPolicy(ctx.config)
  const rows = await ctx.db.selectFrom('devices').select(['id', 'trust_streak', 'tasks_invalid', 'trust_expired', 'banned_at']).where('id', 'in', ids).execute()
  return new Map(rows.map((r) => [r.id, tier(trustOf(r), policy) === 'trusted' ? policy.replicateProbability : 1]))
}

/** Chance that at least one task of a round waits for a copy (which then takes about as long again). */
function anyCopy(ps: number[]): number {
  return 1 - ps.reduce((q, p) => q * (1 - p), 1)
}

function capable(devices: DeviceSession[], plan: Plan, kind: 'train' | 'infer'): DeviceSession[] {
  const backends: string[] = requiredBackends(plan.model, kind)
  let need = 0
  try {
    need = trainMemoryBytes(plan.model, plan.hyper.batchSize)
  } catch {}
  return devices.filter((d) => backends.includes(d.profile.backend) && (d.profile.memoryBudget === 0 || d.profile.memoryBudget >= need)).sort((a, b) => b.gflops - a.gflops || a.id.localeCompare(b.id))
}

/** The planner's split of a round (Planner.trainTasks), without cutting blobs. */
function trainShards(ctx: Ctx, plan: Plan, fleet: DeviceSession[]): Shard[] {
  const minRows = Math.max(1, Math.min(plan.hyper.batchSize, 8))
  const k = Math.max(1, Math.min(fleet.length, ctx.config.NIMBLE_MAX_SHARDS, Math.floor(plan.train.rows / minRows)))
  const chosen = fleet.slice(0, k)
  const bySpeed = plan.sharding !== 'equal' && k > 1 && chosen.every((d) => d.gflops > 0)
  const sizes = bySpeed ? proportionalSizes(plan.train.rows, chosen.map((d) => d.gflops), minRows) : shardRanges(plan.train.rows, k).map((r) => r.end - r.start)
  // Equal shards are not tied to a device: the fastest idle devices take them.
  return sizes.map((rows, i) => ({
    device: chosen[i],
    flops: plan.hyper.localSteps ? trainFlops(plan.model, plan.hyper.localSteps * plan.hyper.batchSize, 1) : trainFlops(plan.model, rows, plan.hyper.localEpochs),
  }))
}

/** Work that flows through every device in turn: one share per device, in proportion to speed. */
function pipelineShards(fleet: DeviceSession[], flops: number): Shard[] {
  const total = fleet.reduce((a, d) => a + Math.max(d.gflops, 1e-9), 0)
  return fleet.map((d) => ({ device: d, flops: (flops * Math.max(d.gflops, 1e-9)) / total }))
}

/**
 * The coordinator's own time per round beyond its slowest task (assimilation, evaluation,
 * planning, dispatch), from the most recent training rounds: the gap between rounds minus
 * the longest lease-to-result of the later round. Median of up to 200 rounds.
 */
async function roundOverheadMs(ctx: Ctx): Promise<number> {
  const { rows } = await sql<{ wall: number; longest: number }>`
    SELECT r.created_at - p.created_at AS wall,
           (SELECT MAX(i.finished_at - i.leased_at) FROM instances i JOIN tasks t ON t.id = i.task_id
             WHERE t.job_id = r.job_id AND t.round = r.round AND i.state = 'valid') AS longest
    FROM rounds r JOIN rounds p ON p.job_id = r.job_id AND p.round = r.round - 1
    ORDER BY r.created_at DESC LIMIT 200`.execute(ctx.db)
  const gaps = rows.filter((r) => r.longest !== null).map((r) => Math.max(0, Number(r.wall) - Number(r.longest))).sort((a, b) => a - b)
  return gaps.length ? gaps[Math.floor(gaps.length / 2)] : DEFAULT_ROUND_OVERHEAD_MS
}
