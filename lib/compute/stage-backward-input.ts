/**
 * What a backward stage starts from, checked before any weights are fetched or anything computed:
 * `planBackward` checks the task's fields against its place in the pipeline, `readTarget` fetches
 * and checks the last stage's labels or an earlier stage's output gradient.
 * Every refusal is a NimbleError('bad_request') naming the field and what the coordinator should send.
 */
import { NimbleError, unpackTensors, type BlobRef, type NamedTensor, type StageTask } from '../protocol'
import type { BlobSource } from './run-task'
import { segmentCost } from './segment'

export type StageLoss = NonNullable<StageTask['loss']>

type Source = { kind: 'labels'; ref: BlobRef; loss: StageLoss; stepRows: number } | { kind: 'gradient'; ref: BlobRef }

export type BackwardPlan = {
  /** Stage 0 returns no dx. */
  first: boolean
  /** The segment's per-example output shape. */
  outShape: number[]
  /** Activation values per row (input included), to size the passes. */
  activationsPerRow: number
  source: Source
}

/** The last stage's labels [rows, outWidth] with its loss, or an earlier stage's dL/dy [rows, ...outShape]. */
export type Target = { kind: 'labels'; loss: StageLoss; stepRows: number; data: Float32Array } | { kind: 'gradient'; data: Float32Array }

export function planBackward(task: StageTask): BackwardPlan {
  const { stage, stages, rows } = task
  const where = `stage ${stage + 1}/${stages}`
  if (task.mode !== 'backward') throw bad('mode', `expected mode 'backward', got '${task.mode ?? 'forward'}'`)
  if (stage >= stages) throw bad('stage', `stage index ${stage} is past the pipeline's ${stages} stages`)
  const cost = segmentCost(task.segment)
  const plan = { first: stage === 0, outShape: cost.outputShape, activationsPerRow: cost.activationsPerRow }
  if (stage < stages - 1) {
    if (!task.gradient) throw bad('gradient', `${where} needs \`gradient\` (the next stage's dx for this micro-batch); the task has none`)
    if (task.labels) throw bad('labels', `only the last stage takes labels; ${where} should get \`gradient\` instead`)
    return { ...plan, source: { kind: 'gradient', ref: task.gradient } }
  }
  const { labels, loss, stepRows } = task
  if (!labels) throw bad('labels', `the last stage (${where}) computes the loss and needs \`labels\` (a pack with y [rows, outWidth]); the task has none`)
  if (task.gradient) throw bad('gradient', `the last stage (${where}) computes its gradient from labels; drop \`gradient\``)
  if (!loss) throw bad('loss', `the last stage (${where}) needs \`loss\`: categoricalCrossentropy or meanSquaredError`)
  if (!stepRows) throw bad('stepRows', `the last stage (${where}) needs \`stepRows\`, the rows of the whole step, to scale the loss`)
  if (stepRows < rows) throw bad('stepRows', `stepRows ${stepRows} is fewer than this micro-batch's ${rows} rows; it counts every row of the step`)
  if (loss === 'categoricalCrossentropy' && cost.outputShape.length !== 1) {
    throw bad('loss', `categoricalCrossentropy needs a segment output of [classes]; this segment outputs [${cost.outputShape}]`)
  }
  return { ...plan, source: { kind: 'labels', ref: labels, loss, stepRows } }
}

/** Fetches and checks the labels or gradient: rows, shape (exact or flat [rows, size]), finite values. */
export async function readTarget(task: StageTask, plan: BackwardPlan, fetch: BlobSource): Promise<Target> {
  const { source, outShape } = plan
  const tensors = unpackTensors(await fetch(source.ref))
  if (source.kind === 'labels') {
    const y = check(pick(tensors, ['y'], 'labels'), task.rows, outShape, 'labels')
    return { kind: 'labels', loss: source.loss, stepRows: source.stepRows, data: y.data }
  }
  const g = check(pick(tensors, ['dx', 'y'], 'gradient'), task.rows, outShape, 'gradient')
  return { kind: 'gradient', data: g.data }
}

function pick(tensors: NamedTensor[], names: string[], field: string): NamedTensor {
  const t = tensors.find((t) => names.includes(t.name)) ?? (tensors.length === 1 ? tensors[0] : undefined)
  if (!t) throw bad(field, `expected a tensor ${names.join(' or ')}, found ${tensors.map((t) => t.name).join(', ') || 'none'}`)
  return t
}

function check(t: NamedTensor, rows: number, outShape: number[], field: string): NamedTensor {
  if (t.shape[0] !== rows) throw bad(field, `${t.name} holds ${t.shape[0] ?? 0} rows but the task says ${rows}`)
  const perRow = t.shape.slice(1)
  const width = outShape.reduce((a, b) => a * b, 1)
  const flat = perRow.length === 1 && perRow[0] === width
  const exact = perRow.length === outShape.length && perRow.every((d, i) => d === outShape[i])
  if (!flat && !exact) throw bad(field, `${t.name} has shape [${t.shape}], expected [${rows}, ${outShape}] (the segment's output)`)
  const at = t.data.findIndex((v) => !Number.isFinite(v))
  if (at >= 0) throw bad(field, `${t.name} holds ${t.data[at]} at row ${Math.floor(at / width)}; values must be finite`)
  return t
}

function bad(field: string, message: string): NimbleError {
  return new NimbleError({ code: 'bad_request', field, message: `backward stage: ${message}` })
}
