/**
 * Fault injection for tests of verification: a worker started with `--fault KIND` cheats or
 * breaks in one reproducible way, so the coordinator's checks can be exercised end to end.
 *   random  every result value replaced by noise (seeded by the task id)
 *   scaled  the honest result times 1.01
 *   nan     the honest result with one NaN
 *   stale   trains from old weights: the first weights it saw for the job (while those are
 *           still the current ones, a decayed copy stands in for an older checkpoint)
 *   lazy    returns the input weights untrained (inference: zeros), computing nothing
 *   copy    replays the result it sent for its previous task (on its first: as lazy)
 *   slow    computes honestly but sleeps three lease lengths before answering
 * Never enabled unless asked for on the command line.
 */
import { mulberry32 } from '../../lib/compute/prng'
import { packTensors, unpackTensors, type BlobRef, type Task } from '../../lib/protocol'

export const FAULT_KINDS = ['random', 'scaled', 'nan', 'stale', 'lazy', 'copy', 'slow'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

/** What a faulty worker remembers between tasks. */
export class FaultState {
  /** stale: the first weights seen per job. */
  readonly firstWeights = new Map<string, { hash: string; data: ArrayBuffer }>()
  /** copy: the last result sent. */
  lastResult: ArrayBuffer | null = null
  constructor(readonly kind: FaultKind) {}
}

function mapValues(pack: ArrayBuffer, f: (v: number, i: number) => number): ArrayBuffer {
  return packTensors(unpackTensors(pack).map((t) => ({ ...t, data: Float32Array.from(t.data, f) })))
}

/** The result to send without computing anything (lazy, copy), or null to compute. */
export function shortcut(state: FaultState, task: Task, input: { weights?: ArrayBuffer }): ArrayBuffer | null {
  if (state.kind !== 'lazy' && state.kind !== 'copy') return null
  if (state.kind === 'copy' && state.lastResult) return state.lastResult
  if (task.kind === 'train' && input.weights) return input.weights
  if (task.kind === 'infer') return packTensors([{ name: 'y', shape: [task.rows, task.model.outputSize], data: new Float32Array(task.rows * task.model.outputSize) }])
  return null
}

/** stale: the weights blob the worker pretends it was given. */
export function staleWeights(state: FaultState, task: Task, ref: BlobRef, fresh: ArrayBuffer): ArrayBuffer {
  if (state.kind !== 'stale' || task.kind === 'stage' || ref.hash !== task.weights.hash) return fresh
  const old = state.firstWeights.get(task.jobId)
  if (!old) state.firstWeights.set(task.jobId, { hash: ref.hash, data: fresh })
  else if (old.hash !== ref.hash) return old.data
  return mapValues(fresh, (v) => v * 0.9)
}

/** Corrupts a computed result (random, scaled, nan); others pass it through. */
export function corrupt(state: FaultState, task: Task, result: ArrayBuffer): ArrayBuffer {
  if (state.kind === 'scaled') return mapValues(result, (v) => v * 1.01)
  if (state.kind === 'nan') return mapValues(result, (v, i) => (i === 0 ? Number.NaN : v))
  if (state.kind === 'random') {
    const rand = mulberry32(task.taskId * 7919 + 17)
    return mapValues(result, () => rand() * 2 - 1)
  }
  return result
}

/** slow: how long to sleep before answering (three lease lengths), else 0. */
export function slowDelayMs(state: FaultState, task: Task, now = Date.now()): number {
  return state.kind === 'slow' ? 3 * Math.max(1000, task.deadline - now) : 0
}
