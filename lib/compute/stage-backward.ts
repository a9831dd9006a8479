/**
 * Pipeline training, one backward stage (GPipe): the device recomputes its segment's forward on
 * the micro-batch's `x` and backpropagates through it, on the same cached segment as forward.
 *
 * In: the StageTask (`mode: 'backward'`), its input pack (`x`, read as the forward reads it) and,
 * fetched here, either `labels` (last stage: `y` [rows, outWidth], with `loss` and `stepRows`) or
 * `gradient` (earlier stages: the next stage's `dx`, shaped like this segment's output).
 * Out: a pack of `dx` [rows, ...inputShape] (not on stage 0), then dL/dW summed over the rows for
 * every trainable weight, in model.getWeights() order under its tfjs name (`dense_3/kernel`), then
 * on the last stage `loss` [1] = the per-row loss summed over the micro-batch (not / stepRows).
 *
 * The objective: on the last stage L = Σ_rows loss_row / stepRows, so the coordinator sums the
 * micro-batches' gradients into the step's mean-loss gradient; on earlier stages L = Σ(y ⊙ g), whose
 * gradients are the vector-Jacobian products, i.e. the whole model's dL/dx and dL/dW.
 *
 * Layers run in inference mode, as the forward stage ran them (model.predict), so the recomputed
 * activations are those the next stage saw: Dropout is the identity (a random mask would have to be
 * replayed across passes and devices), BatchNormalization uses its moving statistics, which are not
 * updated and, being non-trainable, get no gradient. Rows go in passes bounded by activation
 * memory; every output is a sum over rows, so the passes add up exactly.
 */
import * as tf from '@tensorflow/tfjs'
import { NimbleError, packTensors, unpackTensors, type NamedTensor, type StageTask } from '../protocol'
import { perExampleLoss } from './loss'
import type { BlobSource } from './run-task'
import { readStageInput, withSegment, type StageOptions } from './segment'
import { planBackward, readTarget, type BackwardPlan, type Target } from './stage-backward-input'
import { YIELD_EVERY_MS } from './train'

export type BackwardOptions = StageOptions & {
  /** Rows per forward+backward pass; default: as many as keep about 4 MiB of activations. */
  rowsPerPass?: number
}

export type BackwardOutcome = {
  output: ArrayBuffer
  /** The last stage's per-row loss summed over the micro-batch; null on earlier stages. */
  lossSum: number | null
  elapsedMs: number
}

/** Activation values held per pass (float32), before the backward pass's own temporaries. */
const PASS_VALUES = 1 << 20

/**
 * Runs one micro-batch backward through the task's segment. Checks the task and every input
 * (labels or gradient included) before fetching weights or computing anything; throws
 * NimbleError('bad_request') naming the field, NimbleError('invalid_model') for a bad segment.
 */
export async function runStageBackward(task: StageTask, fetch: BlobSource, input: ArrayBuffer, opts: BackwardOptions = {}): Promise<BackwardOutcome> {
  const started = performance.now()
  const plan = planBackward(task)
  const x = readStageInput(unpackTensors(input), task.segment.inputShape, task.rows)
  const target = await readTarget(task, plan, fetch)
  opts.signal?.throwIfAborted()
  const { output, lossSum } = await withSegment(task, fetch, opts.cache, (model) => backward(model, task, plan, x, target, opts))
  return { output, lossSum, elapsedMs: performance.now() - started }
}

async function backward(model: tf.LayersModel, task: StageTask, plan: BackwardPlan, x: NamedTensor, target: Target, opts: BackwardOptions) {
  const { rows } = task
  const inShape = task.segment.inputShape
  const outShape = model.outputs[0].shape.slice(1) as number[]
  if (outShape.join() !== plan.outShape.join()) {
    throw new NimbleError({ code: 'internal', message: `backward stage: tfjs built an output of [${outShape}] where the topology says [${plan.outShape}]` })
  }
  const [inSize, outSize] = [size(inShape), size(outShape)]
  const weights = model.trainableWeights
  const vars = weights.map((w) => w.read() as tf.Variable)
  const dx = plan.first ? null : new Float32Array(rows * inSize)
  // An Embedding's inputs are indices: no gradient flows to them (tfjs would hand back the indices), so dx stays zero.
  const wantDx = dx !== null && model.layers[0].getClassName() !== 'Embedding'
  const sums: (tf.Tensor | null)[] = weights.map(() => null)
  let lossSum = 0
  const perPass = Math.max(1, Math.floor(opts.rowsPerPass ?? PASS_VALUES / plan.activationsPerRow))
  let lastYield = performance.now()
  try {
    for (let start = 0; start < rows; start += perPass) {
      opts.signal?.throwIfAborted()
      const end = Math.min(rows, start + perPass)
      const n = end - start
      const xs = tf.tensor(x.data.subarray(start * inSize, end * inSize), [n, ...inShape], 'float32')
      const ts = tf.tensor(target.data.subarray(start * outSize, end * outSize), target.kind === 'labels' ? [n, outSize] : [n, ...outShape], 'float32')
      let pass: Pass
      try {
        pass = onePass(model, vars, xs, ts, target, wantDx)
      } finally {
        tf.dispose([xs, ts])
      }
      pass.grads.forEach((g, i) => {
        const prev = sums[i]
        sums[i] = prev ? tf.add(prev, g) : g
        if (prev) tf.dispose([prev, g])
      })
      try {
        if (dx && pass.dx) dx.set((await pass.dx.data()) as Float32Array, start * inSize)
        if (pass.loss) lossSum += ((await pass.loss.data()) as Float32Array)[0]
      } finally {
        tf.dispose([pass.dx, pass.loss].filter((t): t is tf.Tensor => t !== null))
      }
      opts.onProgress?.(end / rows, null)
      if (performance.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0))
        lastYield = performance.now()
      }
    }
    opts.signal?.throwIfAborted()
    const out: NamedTensor[] = dx ? [{ name: 'dx', shape: [rows, ...inShape], data: dx }] : []
    for (const [i, w] of weights.entries()) {
      const sum = sums[i]
      out.push({ name: w.originalName, shape: [...w.shape] as number[], data: sum ? ((await sum.data()) as Float32Array) : new Float32Array(size(w.shape as number[])) })
    }
    if (target.kind === 'labels') out.push({ name: 'loss', shape: [1], data: Float32Array.of(lossSum) })
    return { output: packTensors(out), lossSum: target.kind === 'labels' ? lossSum : null }
  } finally {
    tf.dispose(sums.filter((t): t is tf.Tensor => t !== null))
  }
}

type Pass = { dx: tf.Tensor | null; grads: tf.Tensor[]; loss: tf.Tensor | null }

/** The gradients of one pass's share of L w.r.t. the weights (and x, as a temporary variable, when wanted). */
function onePass(model: tf.LayersModel, vars: tf.Variable[], xs: tf.Tensor, ts: tf.Tensor, target: Target, wantDx: boolean): Pass {
  const xVar = wantDx ? tf.variable(xs, true) : null
  let loss: tf.Tensor | null = null
  const objective = () => {
    const y = model.apply(xVar ?? xs, { training: false }) as tf.Tensor
    if (target.kind === 'gradient') return tf.sum(tf.mul(y, ts)) as tf.Scalar
    const perRow = perExampleLoss(target.loss === 'meanSquaredError' ? 'regression' : 'classification', ts, tf.reshape(y, ts.shape))
    loss = tf.keep(tf.sum(perRow))
    return tf.div(loss, target.stepRows) as tf.Scalar
  }
  const dropLoss = () => (loss as tf.Tensor | null)?.dispose()
  try {
    const list = xVar ? [...vars, xVar] : vars
    if (list.length === 0) {
      // Stage 0 with nothing trainable (a Flatten, a frozen layer): only the loss, if it is also the last.
      tf.tidy(objective).dispose()
      return { dx: null, grads: [], loss }
    }
    const { value, grads } = tf.variableGrads(objective, list)
    value.dispose()
    return {
      dx: xVar ? (grads[xVar.name] ?? tf.zerosLike(xs)) : null,
      grads: vars.map((v) => grads[v.name] ?? tf.zerosLike(v)),
      loss,
    }
  } catch (e) {
    dropLoss()
    throw e
  } finally {
    xVar?.dispose()
  }
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}
