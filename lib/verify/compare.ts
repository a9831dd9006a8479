/**
 * Result comparison for replicated work. Different backends (cpu, wasm, webgpu) and GPUs do
 * not agree bit for bit, so two results agree when they are close in relative L2 norm:
 * - outputs (inference, pipeline stages): ||a - b|| / max(||a||, ||b||)
 * - training: the updates are compared, not the weights, because the weights are dominated
 *   by the base both runs started from: ||Δa - Δb|| / max(||Δa||, ||Δb||) with Δ = result - base.
 * Pure: tensors in, numbers out.
 */
import type { NamedTensor } from '../protocol'
import { TOLERANCE } from './tolerance'

type Tensors = Pick<NamedTensor, 'name' | 'data'>[]

function sameLayout(a: Tensors, b: Tensors): boolean {
  return a.length === b.length && a.every((t, i) => t.name === b[i].name && t.data.length === b[i].data.length)
}

/** Euclidean norm over every value of every tensor, accumulated in float64. */
export function norm(ts: Tensors): number {
  let s = 0
  for (const t of ts) for (let i = 0; i < t.data.length; i++) s += t.data[i] * t.data[i]
  return Math.sqrt(s)
}

/** ||a - b|| (optionally each minus `base` first: the difference of two updates equals a - b). */
function diffNorm(a: Tensors, b: Tensors): number {
  let s = 0
  for (let k = 0; k < a.length; k++) {
    const x = a[k].data
    const y = b[k].data
    for (let i = 0; i < x.length; i++) s += (x[i] - y[i]) ** 2
  }
  return Math.sqrt(s)
}

/** ||a - base|| : how far a training result moved from the weights it started from. */
export function updateNorm(result: Tensors, base: Tensors): number {
  return diffNorm(result, base)
}

/** Relative L2 error between two outputs; Infinity when their layouts differ. 0 when both are all zeros. */
export function relativeL2(a: Tensors, b: Tensors): number {
  if (!sameLayout(a, b)) return Infinity
  const scale = Math.max(norm(a), norm(b))
  const d = diffNorm(a, b)
  return scale === 0 ? 0 : d / scale
}

/** Relative norm of the difference of two weight updates from the same base. */
export function updateDistance(base: Tensors, a: Tensors, b: Tensors): number {
  if (!sameLayout(a, b) || !sameLayout(a, base)) return Infinity
  const scale = Math.max(updateNorm(a, base), updateNorm(b, base))
  const d = diffNorm(a, b)
  return scale === 0 ? 0 : d / scale
}

export type Comparison = { agree: boolean; distance: number; tolerance: number }

/** Compares two results of the same task: training updates against `base`, anything else as outputs. */
export function compareResults(a: Tensors, b: Tensors, base: Tensors | null, tol = TOLERANCE): Comparison {
  if (base) {
    // Neither moved from the base: both say the shard had nothing left to learn. Their tiny
    // updates (rounding) are too small to compare by direction.
    if (lazyUpdate(a, base, tol) !== null && lazyUpdate(b, base, tol) !== null) return { agree: true, distance: 0, tolerance: tol.update }
    const distance = updateDistance(base, a, b)
    return { agree: distance <= tol.update, distance, tolerance: tol.update }
  }
  const distance = relativeL2(a, b)
  return { agree: distance <= tol.output, distance, tolerance: tol.output }
}

/**
 * A training result that did not move from its base was not trained (a lazy device returning
 * the input weights). Returns why it is rejected, or null. Checked on every result, replicated or not.
 */
export function lazyUpdate(result: Tensors, base: Tensors, tol = TOLERANCE): string | null {
  if (!sameLayout(result, base)) return null
  const size = updateNorm(result, base)
  const ref = Math.max(norm(base), 1e-12)
  return size / ref < tol.minUpdate ? `the weights barely moved from the task's starting point (relative update ${(size / ref).toExponential(2)} < ${tol.minUpdate}): not trained` : null
}
