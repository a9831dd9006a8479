/**
 * Dispatch policies for the simulator (pure). Each gets the ready queue (oldest first) and
 * the idle devices asking for work, and returns which task each device runs.
 *   nimble       lib/scheduler's assign (fit, queue order, deadlines, least cost; tasks wait
 *                rather than run far dearer than on the best connected device)
 *   round-robin  devices in turn (a rotating pointer) each take the oldest task that fits
 *   random       devices in random order each take a random task among the first that fit
 * The baselines respect fit (memory, backend) like nimble, but ignore speed and price.
 */
import { assign } from '../scheduler/assign'
import { fitRule, misfit } from '../scheduler/fit'
import type { TaskNeed } from '../scheduler/match'
import type { PriceTable } from '../scheduler/pricing'
import type { SimDevice } from './profiles'

export const POLICIES = ['nimble', 'round-robin', 'random'] as const
export type PolicyName = (typeof POLICIES)[number]

export type DispatchContext = {
  now: number
  prices: PriceTable
  online: SimDevice[]
  onlineIds: string[]
  running: Record<string, number>
  maxCostRatio: number
  rng: () => number
}
export type Pick = { task: TaskNeed; device: SimDevice; expectedMs?: number }

const NO_RULE = fitRule({ id: 0, flops: 0, memoryBytes: 0 }, new Set())
const fits = (t: TaskNeed, d: SimDevice) => misfit(t, d, NO_RULE) === null

export function makePolicy(name: PolicyName): (ready: TaskNeed[], idle: SimDevice[], ctx: DispatchContext) => Pick[] {
  if (name === 'nimble') {
    return (ready, idle, ctx) => {
      const byId = new Map(idle.map((d) => [d.id, d]))
      const byTask = new Map(ready.map((t) => [t.id, t]))
      const r = assign(ready, idle, { now: ctx.now, prices: ctx.prices, fleet: ctx.onlineIds, fleetSlots: ctx.online, running: ctx.running, maxCostRatio: ctx.maxCostRatio, maxScan: 512 })
      return r.assignments.map((a) => ({ task: byTask.get(a.taskId)!, device: byId.get(a.deviceId)!, expectedMs: a.expectedMs }))
    }
  }
  let pointer = 0
  return (ready, idle, ctx) => {
    const order = [...idle]
    if (name === 'round-robin') {
      order.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))
      const k = order.length ? pointer++ % order.length : 0
      order.push(...order.splice(0, k))
    } else {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(ctx.rng() * (i + 1))
        ;[order[i], order[j]] = [order[j], order[i]]
      }
    }
    const taken = new Set<number>()
    const out: Pick[] = []
    for (const d of order) {
      const options: TaskNeed[] = []
      for (const t of ready) {
        if (taken.has(t.id) || !fits(t, d)) continue
        options.push(t)
        if (name === 'round-robin' || options.length === 32) break
      }
      if (options.length === 0) continue
      const t = name === 'round-robin' ? options[0] : options[Math.floor(ctx.rng() * options.length)]
      taken.add(t.id)
      out.push({ task: t, device: d })
    }
    return out
  }
}
