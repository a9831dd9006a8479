/**
 * One dispatch call's instance (pure): tasks, idle devices and the numbers every
 * phase of assign needs, computed once into typed arrays, because a big call asks
 * "does task t fit device d, and how long would it take" millions of times.
 */
import { fitRule, misfit, type FitRule, type Misfit } from './fit'
import type { DeviceSlot, TaskNeed } from './match'
import { deviceClass, UNMEASURED_GFLOPS, type PriceTable } from './pricing'

export type Problem = {
  tasks: TaskNeed[]
  devices: DeviceSlot[]
  now: number
  /** Tokens per expected ms, by device index. */
  pricePerMs: Float64Array
  /** deadline - now by task index; Infinity without a deadline. */
  slack: Float64Array
  rule(ti: number): FitRule
  /** Why device dj cannot take task ti (null: it can). Slow path, for explanations. */
  misfit(ti: number, dj: number): Misfit
  /** Expected ms of task ti on device dj; Infinity when it does not fit (same rules as misfit). */
  ms(ti: number, dj: number): number
}

export function makeProblem(tasks: TaskNeed[], devices: DeviceSlot[], opts: { now: number; prices: PriceTable; fleet?: string[] }): Problem {
  const fleet = new Set(opts.fleet ?? devices.map((d) => d.id))
  const D = devices.length
  const T = tasks.length
  const pricePerMs = Float64Array.from(devices, (d) => opts.prices.perSecond[deviceClass(d)] / 1000)
  const slack = Float64Array.from(tasks, (t) => (t.deadline === undefined ? Infinity : t.deadline - opts.now))
  // Devices: ms per FLOP, ms per byte, memory, backend as one bit (0: unknown, runs anything).
  const msPerFlop = Float64Array.from(devices, (d) => 1 / ((d.gflops > 0 ? d.gflops : UNMEASURED_GFLOPS) * 1e6))
  const msPerByte = Float64Array.from(devices, (d) => (d.bandwidth && d.bandwidth > 0 ? 1000 / d.bandwidth : 0))
  const mem = Float64Array.from(devices, (d) => d.memoryBudget)
  const bit = new Map<string, number>()
  const backendBit = Int32Array.from(devices, (d) => (d.backend ? (bit.get(d.backend) ?? bit.set(d.backend, 1 << Math.min(bit.size, 30)).get(d.backend)!) : 0))
  const index = new Map(devices.map((d, j) => [d.id, j]))
  // Tasks: rules resolved lazily, since a big call looks at only the head of the queue.
  const rules: (FitRule | undefined)[] = new Array(T)
  const flops = new Float64Array(T)
  const bytes = new Float64Array(T)
  const need = new Float64Array(T)
  const backendMask = new Int32Array(T)
  const only = new Int32Array(T) // -1: any device; else the one device index allowed; -2: none idle
  const avoidIdle: (Uint8Array | null)[] = new Array(T).fill(null)
  const rule = (ti: number): FitRule => {
    let r = rules[ti]
    if (r) return r
    r = rules[ti] = fitRule(tasks[ti], fleet)
    const t = tasks[ti]
    // Copied out: task objects come in many shapes, which makes property reads slow in the hot loop.
    flops[ti] = t.flops
    bytes[ti] = t.bytes ?? 0
    need[ti] = t.memoryBytes
    backendMask[ti] = t.backends ? t.backends.reduce((m, b) => m | (bit.get(b) ?? 0), 0) : -1
    only[ti] = r.preferred !== undefined ? (index.get(r.preferred) ?? -2) : -1
    if (r.strict && r.avoid.size > 0) {
      const a = new Uint8Array(D)
      devices.forEach((d, j) => (a[j] = r!.avoid.has(d.id) ? 1 : 0))
      avoidIdle[ti] = a
    }
    return r
  }
  const ms = (ti: number, dj: number): number => {
    if (rules[ti] === undefined) rule(ti)
    const o = only[ti]
    if (o !== -1 && o !== dj) return Infinity
    if (mem[dj] !== 0 && mem[dj] < need[ti]) return Infinity
    const b = backendBit[dj]
    if (b !== 0 && (backendMask[ti] & b) === 0) return Infinity
    const a = avoidIdle[ti]
    if (a !== null && a[dj] === 1) return Infinity
    return flops[ti] * msPerFlop[dj] + bytes[ti] * msPerByte[dj]
  }
  return { tasks, devices, now: opts.now, pricePerMs, slack, rule, misfit: (ti, dj) => misfit(tasks[ti], devices[dj], rule(ti)), ms }
}
