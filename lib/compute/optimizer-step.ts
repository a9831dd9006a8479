/**
 * Optimizer steps on plain Float32Arrays (pure, no tfjs): the coordinator applies them to a
 * pipeline's master weights after summing the segments' gradients. Adam follows tfjs's own
 * update exactly (bias-corrected moments, epsilon added to the root of the second moment),
 * so a pipeline matches the same model trained whole with tf.train.adam.
 */
import type { NamedTensor } from '../protocol'

export type OptimizerState = { step: number; moments: Record<string, { m: Float32Array; v: Float32Array }> }
export type StepOptions = { optimizer: 'adam' | 'sgd' | 'momentum'; learningRate: number; momentum?: number; beta1?: number; beta2?: number; epsilon?: number }

export function optimizerStep(weights: NamedTensor[], grads: Map<string, Float32Array>, state: OptimizerState, o: StepOptions): { weights: NamedTensor[]; state: OptimizerState } {
  const b1 = o.beta1 ?? 0.9
  const b2 = o.beta2 ?? 0.999
  const eps = o.epsilon ?? 1e-7
  const step = state.step + 1
  const moments: OptimizerState['moments'] = {}
  const out = weights.map((w) => {
    const g = grads.get(w.name)
    if (!g) return w // not trainable (e.g. BatchNorm moving statistics)
    if (g.length !== w.data.length) throw new Error(`gradient for ${w.name} has ${g.length} values, the weight ${w.data.length}`)
    const prev = state.moments[w.name]
    const m = prev ? Float32Array.from(prev.m) : new Float32Array(g.length)
    const v = prev ? Float32Array.from(prev.v) : new Float32Array(g.length)
    const next = new Float32Array(w.data.length)
    if (o.optimizer === 'adam') {
      const c1 = 1 - b1 ** step
      const c2 = 1 - b2 ** step
      for (let i = 0; i < g.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i]
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
        next[i] = w.data[i] - (o.learningRate * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps)
      }
    } else if (o.optimizer === 'momentum') {
      const mu = o.momentum ?? 0.9
      for (let i = 0; i < g.length; i++) {
        m[i] = mu * m[i] + g[i]
        next[i] = w.data[i] - o.learningRate * m[i]
      }
    } else {
      for (let i = 0; i < g.length; i++) next[i] = w.data[i] - o.learningRate * g[i]
    }
    moments[w.name] = { m, v }
    return { name: w.name, shape: w.shape, data: next }
  })
  return { weights: out, state: { step, moments } }
}

/** The state as a tensor pack (m:<name>, v:<name>, step) and back, so it survives restarts as a blob. */
export function stateToTensors(state: OptimizerState): NamedTensor[] {
  const out: NamedTensor[] = [{ name: 'step', shape: [1], data: Float32Array.of(state.step) }]
  for (const [name, { m, v }] of Object.entries(state.moments)) {
    out.push({ name: `m:${name}`, shape: [m.length], data: m }, { name: `v:${name}`, shape: [v.length], data: v })
  }
  return out
}

export function stateFromTensors(tensors: NamedTensor[] | null): OptimizerState {
  const state: OptimizerState = { step: 0, moments: {} }
  if (!tensors) return state
  for (const t of tensors) {
    if (t.name === 'step') state.step = t.data[0]
    else {
      const name = t.name.slice(2)
      state.moments[name] ??= { m: new Float32Array(t.data.length), v: new Float32Array(t.data.length) }
      state.moments[name][t.name.startsWith('m:') ? 'm' : 'v'] = Float32Array.from(t.data)
    }
  }
  return state
}
