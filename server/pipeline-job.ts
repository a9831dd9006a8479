/**
 * Pipeline inference: an uploaded model too big for any one device, cut into contiguous
 * segments that each fit the device planned for them (lib/model/partition, an exact
 * dynamic programme), run as stage tasks, one per (segment, micro-batch).
 *
 * Tasks live in the `tasks` table with round = stage and shard = micro-batch. Stage 0's tasks
 * are ready at once; when (s, m) is done the assimilator creates (s+1, m) with the result as
 * its input, so micro-batches flow through the stages concurrently (a GPipe forward). Each
 * stage task prefers the device planned for its stage, which keeps the segment's weights
 * loaded; if that device leaves, any device that fits takes the stage over, and the lost
 * micro-batches are simply redone from their inputs (blobs), so the output is unchanged.
 */
import crypto from 'node:crypto'
import { buildModel, segmentLayersFromTopology, splitLayerWeights, writeWeights } from '../lib/compute'
import { parseCsv } from '../lib/data'
import { estimateLayers } from '../lib/model/estimate'
import { pipelineStats } from '../lib/model/partition'
import { planOnDevices, type PlannedSegment } from './pipeline-devices'
import { NimbleError, packTensors, unpackTensors, type BlobRef, type CreateInferJobBody, type ModelSpec } from '../lib/protocol'
import type { Ctx } from './context'
import { insertJob } from './job-rows'
import { getDatasetRow } from './datasets'
import { transition } from './log'
import { getModelRow, type ModelInfo } from './models'
import type { DataPart } from './plan-job'
import type { Registry } from './registry'

export type PipelineSegment = PlannedSegment & { weights: { layer: number; ref: BlobRef }[] }

export type PipelinePlan = {
  kind: 'pipeline'
  modelId: string
  task: 'classification' | 'regression'
  classes: string[]
  outputShape: number[]
  microBatchRows: number
  microBatches: { ref: BlobRef; rows: number }[]
  segments: PipelineSegment[]
  bottleneckSec: number
  bubbleFraction: number
  data: DataPart
}

const DEFAULT_MICRO_BATCH = 64

export async function createPipelineJob(ctx: Ctx, registry: Registry, body: CreateInferJobBody): Promise<{ id: string }> {
  const model = await getModelRow(ctx, body.modelId!)
  if (!model.weights_hash) throw new NimbleError({ code: 'invalid_model', field: 'modelId', message: `model ${model.id} has no weights: upload it with its weights (model.save to /api/models, or weightData)` })
  const info = JSON.parse(model.info_json) as ModelInfo
  const topology = JSON.parse(model.topology_json) as object
  const ds = await getDatasetRow(ctx.db, body.datasetId)
  const width = info.inputShape.reduce((a, b) => a * b, 1)

  // The rows, as the model's inputs: a table's columns in order, or decoded images.
  let x: Float32Array
  let rows: number
  if (ds.kind === 'images') {
    const t = unpackTensors(ctx.blobs.readArrayBuffer(ds.pack_hash!)).find((t) => t.name === 'x')!
    if (t.shape[1] !== width) throw new NimbleError({ code: 'invalid_body', field: 'datasetId', message: `images of dataset ${ds.id} have ${t.shape[1]} values each; the model takes [${info.inputShape}]` })
    x = t.data
    rows = t.shape[0]
  } else {
    const parsed = parseCsv(ctx.blobs.read(ds.blob_hash).toString('utf8'))
    if (parsed.header.length !== width) {
      throw new NimbleError({ code: 'invalid_body', field: 'datasetId', message: `dataset ${ds.id} has ${parsed.header.length} columns; the model takes ${width} input features (the columns, in order)` })
    }
    rows = parsed.rows.length
    x = new Float32Array(rows * width)
    parsed.rows.forEach((r, i) =>
      r.forEach((cell, j) => {
        const v = Number(cell.trim())
        if (cell.trim() === '' || !Number.isFinite(v)) {
          throw new NimbleError({ code: 'non_numeric_value', field: parsed.header[j], message: `line ${parsed.lines[i]}: column "${parsed.header[j]}" holds "${cell.slice(0, 40)}"; a model's inputs must be numbers` })
        }
        x[i * width + j] = v
      }),
    )
  }

  // Plan the segments on the devices online now.
  const microBatchRows = Math.min(body.microBatchRows ?? DEFAULT_MICRO_BATCH, rows)
  const layers = estimateLayers(topology)
  const plan = planOnDevices(layers, registry, { microBatch: microBatchRows, training: false })

  // One blob per layer's weights, so a device fetches only its own segment's.
  const whole = buildModel({ template: 'custom', task: 'classification', inputShape: info.inputShape, inputSize: width, outputSize: Math.max(1, info.outputUnits), hidden: [], activation: 'relu', dropout: 0, filters: [], topology } as ModelSpec)
  writeWeights(whole, unpackTensors(ctx.blobs.readArrayBuffer(model.weights_hash)))
  const perLayer = new Map(splitLayerWeights(whole).map((l) => [l.layer, ctx.blobs.put(packTensors(l.tensors))]))
  whole.dispose()

  const segments: PipelineSegment[] = plan.segments.map((s, stage) => {
    const seg = segmentLayersFromTopology(topology, s.from, s.to)
    return {
      stage,
      from: s.from,
      to: s.to,
      params: s.params,
      memoryBytes: s.memoryBytes,
      flops: s.flops,
      plannedDevice: s.deviceId,
      layers: seg.layers,
      inputShape: seg.inputShape,
      weights: [...perLayer].filter(([layer]) => layer >= s.from && layer < s.to).map(([layer, ref]) => ({ layer, ref })),
    }
  })
  const microBatches: { ref: BlobRef; rows: number }[] = []
  for (let start = 0; start < rows; start += microBatchRows) {
    const n = Math.min(microBatchRows, rows - start)
    microBatches.push({ ref: ctx.blobs.put(packTensors([{ name: 'x', shape: [n, ...info.inputShape], data: x.slice(start * width, (start + n) * width) }])), rows: n })
  }
  const stats = pipelineStats(plan, microBatches.length)
  const outputShape = layers[layers.length - 1].outputShape
  const pplan: PipelinePlan = {
    kind: 'pipeline',
    modelId: model.id,
    task: info.outputActivation === 'softmax' ? 'classification' : 'regression',
    classes: [],
    outputShape,
    microBatchRows,
    microBatches,
    segments,
    bottleneckSec: plan.bottleneckSec,
    bubbleFraction: stats.bubbleFraction,
    data: { ref: microBatches[0].ref, rows },
  }
  const id = `job_${crypto.randomBytes(9).toString('base64url')}`
  await insertJob(ctx, {
    id,
    name: body.name?.trim() || `Pipeline inference of ${model.name} on ${ds.name}`,
    type: 'infer',
    dataset_id: ds.id,
    request_json: JSON.stringify(body),
    plan_json: JSON.stringify(pplan),
    total_rounds: segments.length,
    weights_hash: model.weights_hash,
  })
  transition(ctx.log, 'job', id, 'new', 'queued', { type: 'pipeline', stages: segments.length, microBatches: microBatches.length, rows })
  ctx.bus.emit('job:created', id)
  return { id }
}

/** The task row for stage `stage` of micro-batch `m`, reading `input` (the micro-batch, or the previous stage's output). */
export function stageTask(plan: PipelinePlan, stage: number, m: number, input: BlobRef): { rows: number; flops: number; payload: Record<string, unknown> } {
  const rows = plan.microBatches[m].rows
  const s = plan.segments[stage]
  // Segment FLOPs are planned per full micro-batch.
  return { rows, flops: (s.flops * rows) / plan.microBatchRows, payload: stagePayload(plan, stage, input, rows) }
}

function stagePayload(plan: PipelinePlan, stage: number, input: BlobRef, rows: number): Record<string, unknown> {
  const s = plan.segments[stage]
  return {
    kind: 'stage',
    stages: plan.segments.length,
    segment: { from: s.from, to: s.to, layers: s.layers, inputShape: s.inputShape },
    weights: s.weights,
    input,
    memoryBytes: s.memoryBytes,
    prefer: s.plannedDevice,
    shapes: [{ name: 'y', shape: [rows, ...(stage + 1 < plan.segments.length ? plan.segments[stage + 1].inputShape : plan.outputShape)] }],
  }
}
