/**
 * Typed reads of JobView.config (a free-form record the coordinator fills). Missing or
 * unexpected values fall back to the coordinator's defaults rather than breaking the page.
 */
import type { JobView } from '@/lib/protocol'

export type AlgorithmInfo = { type: 'fedavg' | 'diloco'; outerLearningRate?: number; outerMomentum?: number }

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

/** `config.algorithm`: `{type, outerLearningRate?, outerMomentum?}` or just the type; FedAvg when absent. */
export function algorithmOf(job: JobView): AlgorithmInfo {
  const a = job.config.algorithm
  if (a === 'diloco' || a === 'fedavg') return { type: a }
  if (a && typeof a === 'object') {
    const o = a as Record<string, unknown>
    return { type: o.type === 'diloco' ? 'diloco' : 'fedavg', outerLearningRate: num(o.outerLearningRate), outerMomentum: num(o.outerMomentum) }
  }
  return { type: 'fedavg' }
}

export function algorithmLabel(a: AlgorithmInfo): string {
  if (a.type === 'fedavg') return 'FedAvg'
  const parts = [a.outerLearningRate !== undefined ? `outer LR ${a.outerLearningRate}` : null, a.outerMomentum !== undefined ? `momentum ${a.outerMomentum}` : null].filter(Boolean)
  return parts.length ? `DiLoCo (${parts.join(', ')})` : 'DiLoCo'
}

/** Inference jobs: the training job whose model they run (`config.sourceJobId`). */
export function sourceJobOf(job: JobView): string | null {
  const s = job.config.sourceJobId
  return typeof s === 'string' && s ? s : null
}

export function templateOf(job: JobView): string | null {
  const t = job.config.template
  return typeof t === 'string' ? t : null
}
