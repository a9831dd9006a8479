/**
 * Pipeline training (GPipe): a model cut into segments across devices, trained step by step.
 *
 * A step takes `batchSize` rows (a seeded per-epoch shuffle of the training rows), split into
 * micro-batches. Each micro-batch flows forward through stages 0..K-2 as stage tasks; the last
 * stage's backward task computes the loss from the labels and sends dL/dx back; backward tasks
 * then run down to stage 0. Every backward task returns its segment's weight gradients. When
 * all micro-batches are back, the coordinator (which keeps the master weights, so a stage can
 * move to another device) sums the gradients and applies the optimizer (optimizer-step.ts),
 * then starts the next step.
 *
 * Tasks: round = step; shard encodes (mode, stage, micro-batch) so each exists once.
 * Owns:  jobs.round (the step), weights_hash (master weights), outer_hash (optimizer state).
 */
import { buildModel, evaluate, splitLayerWeights, segmentLayersFromTopology, writeWeights } from '../lib/compute'
import { optimizerStep, stateFromTensors, stateToTensors } from '../lib/compute/optimizer-step'
import { shuffleIndices, takeRows } from '../lib/data'
import { estimateLayers } from '../lib/model/estimate'
import { pipelineStats } from '../lib/model/partition'
import { planOnDevices, type PlannedSegment } from './pipeline-devices'
import { NimbleError, packTensors, unpackTensors, type BlobRef, type Metrics, type NamedTensor } from '../lib/protocol'
import type { BlobStore } from './blobs'
import type { Ctx } from './context'
import { evaluatePart, roundMetrics } from './evaluation'
import { transition } from './log'
import type { Plan } from './plan-job'
import type { Registry } from './registry'
import type { JobRow } from './store/schema'
import type { TensorCache } from './tensor-cache'

export type TrainSegment = PlannedSegment & { outputShape: number[] }

export type PipelineTraining = {
  microBatchRows: number
  batchSize: number
  stepsPerEpoch: number
  loss: 'categoricalCrossentropy' | 'meanSquaredError'
  segments: TrainSegment[]
  /** Each weighted layer's weights (names and shapes), in model order. */
  layerWeights: { layer: number; weights: { name: string; shape: number[] }[] }[]
  bottleneckSec: number
  bubbleFraction: number
}

/** Plans the segments for a training job on the devices online now; the model's weights stay whole on the coordinator. */
export function planPipelineTraining(plan: Plan, blobs: BlobStore, registry: Registry, microBatchRows: number | undefined): PipelineTraining {
  const model = buildModel(plan.model, plan.seed)
  writeWeights(model, unpackTensors(blobs.readArrayBuffer(plan.initialWeights.hash)))
  const topology = plan.model.template === 'custom' && plan.model.topology ? plan.model.topology : (model.toJSON(null, false) as object)
  const layerWeights = splitLayerWeights(model).map((l) => ({ layer: l.layer, weights: l.tensors.map((t) => ({ name: t.name, shape: t.shape })) }))
  model.dispose()
  const layers = estimateLayers(topology)
  const batchSize = Math.min(plan.hyper.batchSize, plan.train.rows)
  const mb = Math.max(1, Math.min(microBatchRows ?? Math.ceil(batchSize / 4), batchSize))
  const p = planOnDevices(layers, registry, { microBatch: mb, training: true, optimizer: plan.hyper.optimizer })
  const segments: TrainSegment[] = p.segments.map((s, stage) => {
    const seg = segmentLayersFromTopology(topology, s.from, s.to)
    return { stage, from: s.from, to: s.to, params: s.params, memoryBytes: s.memoryBytes, flops: s.flops, plannedDevice: s.deviceId, layers: seg.layers, inputShape: seg.inputShape, outputShape: seg.outputShape }
  })
  const stepsPerEpoch = Math.ceil(plan.train.rows / batchSize)
  return {
    microBatchRows: mb,
    batchSize,
    stepsPerEpoch,
    loss: plan.task === 'regression' ? 'meanSquaredError' : 'categoricalCrossentropy',
    segments,
    layerWeights,
    bottleneckSec: p.bottleneckSec,
    bubbleFraction: pipelineStats(p!, Math.ceil(batchSize / mb)).bubbleFraction,
  }
}

/** The training rows of step `step`: the step-th slice of a shuffle that changes every epoch. */
export function stepRows(trainRows: number, pt: Pick<PipelineTraining, 'batchSize' | 'stepsPerEpoch'>, seed: number, step: number): Uint32Array {
  const epoch = Math.floor(step / pt.stepsPerEpoch)
  const k = step % pt.stepsPerEpoch
  const perm = shuffleIndices(trainRows, (seed * 1009 + epoch) | 0)
  return perm.slice(k * pt.batchSize, Math.min(trainRows, (k + 1) * pt.batchSize))
}

type StepTask = { round: number; shard: number; rows: number; flops: number; payload: Record<string, unknown> }

export class PipelineTrainer {
  constructor(
    private ctx: Ctx,
    private tensors: TensorCache,
  ) {}

  private code(pt: PipelineTraining, mode: 'forward' | 'backward', stage: number, m: number): number {
    const M = Math.ceil(pt.batchSize / pt.microBatchRows)
    return (mode === 'backward' ? pt.segments.length * M : 0) + stage * M + m
  }

  /** x and labels of each micro-batch of a step, as blobs (content-addressed: recreating them is free). */
  private microBatches(plan: Plan, pt: PipelineTraining, step: number): { x: BlobRef; y: BlobRef; rows: number }[] {
    const x = this.tensors.tensor(plan.train.ref.hash, 'x')
    const y = this.tensors.tensor(plan.train.ref.hash, 'y')
    const rows = stepRows(plan.train.rows, pt, plan.seed, step)
    const out = []
    for (let start = 0; start < rows.length; start += pt.microBatchRows) {
      const idx = rows.slice(start, start + pt.microBatchRows)
      const xw = x.shape[1]
      const yw = y.shape[1]
      out.push({
        x: this.ctx.blobs.put(packTensors([{ name: 'x', shape: [idx.length, ...pt.segments[0].inputShape], data: takeRows(x.data, xw, idx) }])),
        y: this.ctx.blobs.put(packTensors([{ name: 'y', shape: [idx.length, yw], data: takeRows(y.data, yw, idx) }])),
        rows: idx.length,
      })
    }
    return out
  }

  /** One blob per weighted layer of the current master weights. */
  private layerRefs(pt: PipelineTraining, weights: NamedTensor[]): Map<number, BlobRef> {
    const byName = new Map(weights.map((w) => [w.name, w]))
    return new Map(pt.layerWeights.map((l) => [l.layer, this.ctx.blobs.put(packTensors(l.weights.map((w) => byName.get(w.name)!)))]))
  }

  private stageTask(plan: Plan, pt: PipelineTraining, refs: Map<number, BlobRef>, step: number, mode: 'forward' | 'backward', stage: number, m: number, rows: number, extra: { input: BlobRef; gradient?: BlobRef; labels?: BlobRef; stepRows?: number }): StepTask {
    const s = pt.segments[stage]
    const K = pt.segments.length
    const segWeights = pt.layerWeights.filter((l) => l.layer >= s.from && l.layer < s.to)
    const shapes =
      mode === 'forward'
        ? [{ name: 'y', shape: [rows, ...s.outputShape] }]
        : [
            ...(stage > 0 ? [{ name: 'dx', shape: [rows, ...s.inputShape] }] : []),
            ...segWeights.flatMap((l) => l.weights),
            ...(stage === K - 1 ? [{ name: 'loss', shape: [1] }] : []),
          ]
    return {
      round: step,
      shard: this.code(pt, mode, stage, m),
      rows,
      flops: ((mode === 'backward' ? 2 : 1) * s.flops * rows) / (3 * pt.microBatchRows),
      payload: {
        kind: 'stage',
        mode,
        stage,
        microBatch: m,
        stages: K,
        segment: { from: s.from, to: s.to, layers: s.layers, inputShape: s.inputShape },
        weights: segWeights.map((l) => ({ layer: l.layer, ref: refs.get(l.layer)! })),
        ...extra,
        ...(mode === 'backward' && stage === K - 1 ? { loss: pt.loss } : {}),
        memoryBytes: s.memoryBytes,
        prefer: s.plannedDevice,
        shapes,
      },
    }
  }

  private masterWeights(job: JobRow, plan: Plan): NamedTensor[] {
    return unpackTensors(this.ctx.blobs.readArrayBuffer(job.weights_hash ?? plan.initialWeights.hash))
  }

  /** The first tasks of the job's current step (forward stage 0, or backward when there is one stage). */
  firstTasks(job: JobRow, plan: Plan & { pipeline: PipelineTraining }): StepTask[] {
    const pt = plan.pipeline
    const refs = this.layerRefs(pt, this.masterWeights(job, plan))
    const mbs = this.microBatches(plan, pt, job.round)
    const total = mbs.reduce((a, b) => a + b.rows, 0)
    return mbs.map((mb, m) =>
      pt.segments.length === 1
        ? this.stageTask(plan, pt, refs, job.round, 'backward', 0, m, mb.rows, { input: mb.x, labels: mb.y, stepRows: total })
        : this.stageTask(plan, pt, refs, job.round, 'forward', 0, m, mb.rows, { input: mb.x }),
    )
  }

  /** Creates whatever the finished tasks of the step unlock; applies the step when every micro-batch is back at stage 0. */
  async advance(job: JobRow, plan: Plan & { pipeline: PipelineTraining }): Promise<void> {
    const { db, blobs } = this.ctx
    const pt = plan.pipeline
    const K = pt.segments.length
    const step = job.round
    const tasks = await db.selectFrom('tasks').select(['shard', 'state', 'result_hash']).where('job_id', '=', job.id).where('round', '=', step).execute()
    const byCode = new Map(tasks.map((t) => [t.shard, t]))
    const done = (mode: 'forward' | 'backward', s: number, m: number) => {
      const t = byCode.get(this.code(pt, mode, s, m))
      return t && t.state === 'done' && t.result_hash ? t.result_hash : null
    }
    const ref = (hash: string): BlobRef => ({ hash, bytes: blobs.size(hash), url: `/api/blobs/${hash}` })
    const mbs = this.microBatches(plan, pt, step)
    const total = mbs.reduce((a, b) => a + b.rows, 0)
    const refs = this.layerRefs(pt, this.masterWeights(job, plan))
    const create: StepTask[] = []
    const want = (t: StepTask) => {
      if (!byCode.has(t.shard)) create.push(t)
    }
    mbs.forEach((mb, m) => {
      for (let s = 0; s < K - 1; s++) {
        const out = done('forward', s, m)
        if (!out) continue
        if (s + 1 < K - 1) want(this.stageTask(plan, pt, refs, step, 'forward', s + 1, m, mb.rows, { input: ref(out) }))
        else want(this.stageTask(plan, pt, refs, step, 'backward', K - 1, m, mb.rows, { input: ref(out), labels: mb.y, stepRows: total }))
      }
      for (let s = K - 1; s > 0; s--) {
        const back = done('backward', s, m)
        if (!back || byCode.has(this.code(pt, 'backward', s - 1, m))) continue
        const dx = unpackTensors(blobs.readArrayBuffer(back)).find((t) => t.name === 'dx')!
        const gradient = blobs.put(packTensors([{ name: 'dx', shape: dx.shape, data: dx.data }]))
        const input = s - 1 === 0 ? mb.x : done('forward', s - 2, m)
        if (!input) continue
        want(this.stageTask(plan, pt, refs, step, 'backward', s - 1, m, mb.rows, { input: typeof input === 'string' ? ref(input) : input, gradient }))
      }
    })
    if (create.length) {
      const now = this.ctx.now()
      await db
        .insertInto('tasks')
        .values(create.map((t) => ({ job_id: job.id, round: t.round, shard: t.shard, rows: t.rows, state: 'ready' as const, payload_json: JSON.stringify(t.payload), flops: t.flops, attempts: 0, result_hash: null, created_at: now, updated_at: now })))
        .onConflict((oc) => oc.columns(['job_id', 'round', 'shard']).doNothing())
        .execute()
      this.ctx.bus.emit('tasks:ready')
    }
    if (!mbs.every((_, m) => done('backward', 0, m))) return
    await this.applyStep(job, plan, mbs.length, total, (s, m) => done('backward', s, m)!)
  }

  private async applyStep(job: JobRow, plan: Plan & { pipeline: PipelineTraining }, M: number, total: number, result: (s: number, m: number) => string): Promise<void> {
    const { db, blobs } = this.ctx
    const pt = plan.pipeline
    const K = pt.segments.length
    const grads = new Map<string, Float32Array>()
    let lossSum = 0
    for (let s = 0; s < K; s++) {
      for (let m = 0; m < M; m++) {
        for (const t of unpackTensors(blobs.readArrayBuffer(result(s, m)))) {
          if (t.name === 'dx') continue
          if (t.name === 'loss') {
            lossSum += t.data[0]
            continue
          }
          const acc = grads.get(t.name) ?? new Float32Array(t.data.length)
          for (let i = 0; i < acc.length; i++) acc[i] += t.data[i]
          grads.set(t.name, acc)
        }
      }
    }
    const weights = this.masterWeights(job, plan)
    const state = stateFromTensors(job.outer_hash ? unpackTensors(blobs.readArrayBuffer(job.outer_hash)) : null)
    const next = optimizerStep(weights, grads, state, { optimizer: plan.hyper.optimizer, learningRate: plan.hyper.learningRate, momentum: plan.hyper.momentum })
    const wRef = blobs.put(packTensors(next.weights))
    const sRef = blobs.put(packTensors(stateToTensors(next.state)))
    const step = job.round
    const finished = step + 1 >= job.total_rounds
    const epochEnd = (step + 1) % pt.stepsPerEpoch === 0 || finished
    const stepLoss = lossSum / total
    const measured = epochEnd ? roundMetrics(plan, this.tensors, next.weights) : null
    const metrics: Metrics = measured ? { ...measured.metrics, loss: stepLoss } : { loss: stepLoss, accuracy: null, valLoss: null, valAccuracy: null }
    const test = finished ? evaluatePart(plan, this.tensors, next.weights, plan.test) : null
    const now = this.ctx.now()
    const ok = await db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('jobs')
        .set({
          round: step + 1,
          weights_hash: wRef.hash,
          outer_hash: sRef.hash,
          metrics_json: JSON.stringify(metrics),
          ...(measured?.validation ? { validation_json: JSON.stringify(measured.validation) } : {}),
          updated_at: now,
          ...(finished ? { status: 'succeeded', test_json: test ? JSON.stringify(test) : null } : {}),
        })
        .where('id', '=', job.id)
        .where('round', '=', step)
        .where('status', '=', 'running')
        .executeTakeFirst()
      if (Number(r.numUpdatedRows) !== 1) return false
      await trx.insertInto('rounds').values({ job_id: job.id, round: step, weights_hash: wRef.hash, metrics_json: JSON.stringify(metrics), devices: 0, created_at: now }).execute()
      return true
    })
    if (!ok) return
    this.ctx.log.info({ job: job.id, step, loss: stepLoss }, `job ${job.id} pipeline step ${step} loss:${stepLoss.toFixed(5)}`)
    if (finished) transition(this.ctx.log, 'job', job.id, 'running', 'succeeded', { steps: step + 1 })
    this.ctx.bus.emit('job:changed', job.id)
    this.ctx.bus.emit('round:done', job.id, step)
    void evaluate
  }
}
