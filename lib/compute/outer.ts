/**
 * DiLoCo's outer step: the coordinator treats the round's change as a gradient and applies
 * SGD with (Nesterov) momentum to it, instead of taking the devices' average as is.
 *
 *   g = global − averaged          (the pseudo-gradient)
 *   m ← μ·m + g
 *   update = nesterov ? g + μ·m : m
 *   w ← global − lr·update
 *
 * With lr 1 and μ 0 this is exactly FedAvg (w = averaged). BatchNormalization's moving
 * statistics (`…/moving_mean`, `…/moving_variance`) are running averages, not parameters:
 * extrapolating them could make a variance negative, so they take the averaged value and
 * keep zero momentum. Pure (no tfjs), float64 arithmetic, inputs never aliased.
 */
import { NimbleError, type NamedTensor } from '../protocol'

export type OuterOptions = {
  learningRate: number
  momentum: number
  nesterov: boolean
  /** Tensors that skip the outer step and take the averaged value. Default: BatchNormalization moving statistics. */
  averageOnly?: (name: string) => boolean
}

export type OuterResult = { weights: NamedTensor[]; momentum: NamedTensor[] }

export function isMovingStatistic(name: string): boolean {
  return /\/moving_(mean|variance)$/.test(name)
}

export function outerStep(global: NamedTensor[], averaged: NamedTensor[], momentum: NamedTensor[] | null, opts: OuterOptions): OuterResult {
  const { learningRate: lr, momentum: mu, nesterov } = opts
  if (!Number.isFinite(lr) || lr <= 0) throw invalid(`outer learning rate must be positive, got ${lr}`)
  if (!Number.isFinite(mu) || mu < 0 || mu >= 1) throw invalid(`outer momentum must be in [0, 1), got ${mu}`)
  const averageOnly = opts.averageOnly ?? isMovingStatistic
  const avgByName = index(averaged, 'averaged')
  const momByName = momentum ? index(momentum, 'momentum') : null
  if (averaged.length !== global.length) throw invalid(`the averaged weights hold ${averaged.length} tensors, the global weights ${global.length}`)
  if (momentum && momentum.length !== global.length) throw invalid(`the momentum holds ${momentum.length} tensors, the global weights ${global.length}`)
  index(global, 'global')

  const weights: NamedTensor[] = []
  const nextMomentum: NamedTensor[] = []
  for (const w of global) {
    const a = match(avgByName, w, 'averaged')
    const m = momByName ? match(momByName, w, 'momentum') : null
    const n = w.data.length
    const outW = new Float32Array(n)
    const outM = new Float32Array(n)
    if (averageOnly(w.name)) {
      outW.set(a.data)
    } else {
      for (let j = 0; j < n; j++) {
        const g = (w.data[j] as number) - (a.data[j] as number)
        const mj = mu * (m ? (m.data[j] as number) : 0) + g
        const update = nesterov ? g + mu * mj : mj
        outW[j] = w.data[j] - lr * update
        outM[j] = mj
      }
    }
    weights.push({ name: w.name, shape: [...w.shape], data: outW })
    nextMomentum.push({ name: w.name, shape: [...w.shape], data: outM })
  }
  return { weights, momentum: nextMomentum }
}

function index(tensors: NamedTensor[], what: string): Map<string, NamedTensor> {
  const map = new Map<string, NamedTensor>()
  for (const t of tensors) {
    if (map.has(t.name)) throw invalid(`the ${what} weights hold ${t.name} twice`, t.name)
    const size = t.shape.reduce((a, b) => a * b, 1)
    if (size !== t.data.length) throw invalid(`tensor ${t.name} in the ${what} weights holds ${t.data.length} values for shape [${t.shape}]`, t.name)
    map.set(t.name, t)
  }
  return map
}

function match(map: Map<string, NamedTensor>, ref: NamedTensor, what: string): NamedTensor {
  const t = map.get(ref.name)
  if (!t) throw invalid(`the ${what} weights have no tensor ${ref.name}`, ref.name)
  if (t.shape.length !== ref.shape.length || t.shape.some((d, i) => d !== ref.shape[i])) {
    throw invalid(`tensor ${ref.name} has shape [${t.shape}] in the ${what} weights but [${ref.shape}] in the global weights`, ref.name)
  }
  return t
}

function invalid(message: string, field?: string): NimbleError {
  return new NimbleError({ code: 'invalid_result', message, field })
}
