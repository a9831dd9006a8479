/**
 * One dispatch call's instance (pure): tasks, idle devices and the numbers every
 * phase of assign needs, computed once into typed arrays, because a big call asks
 * "does task t fit device d, and how long would it take" millions of times.
 */
import { fitRule, misfit, type FitRule, type Misfit } from './fit'
import type { DeviceSlot, TaskNeed } from './match'
import { F64, f64Scratch, I32, i32Scratch, scratch } from './scratch'
import { deviceClass, UNMEASURED_BANDWIDTH, UNMEASURED_GFLOPS, type PriceTable } from './pricing'

export type ProblemOptions = {
  now: number
  prices: PriceTable
  fleet?: string[]
  /** Every connected device's profile, for maxCostRatio (default: the idle ones). */
  fleetSlots?: DeviceSlot[]
  /** A device costing more than this times the task's cheapest fitting fleet device does not fit it. */
  maxCostRatio?: number
}

export type Problem = {
  tasks: TaskNeed[]
  devices: DeviceSlot[]
  /** scratch.generation when built: per-task arrays are valid only while it is current. */
  generation: number
  now: number
  /** Tokens per expected ms, by device index. */
  pricePerMs: Float64Array
  /** deadline - now by task index; Infinity without a deadline (filled once the task's rule is read). */
  slack: Float64Array
  /** Cheapest cost of task ti on any fitting fleet device (maxCostRatio only; 0 otherwise). */
  refCost: Float64Array
  rule(ti: number): FitRule
  /** Why device dj cannot take task ti (null: it can). Slow path, for explanations. */
  misfit(ti: number, dj: number): Misfit
  /** Expected ms of task ti on device dj; Infinity when it does not fit (same rules as misfit). */
  ms(ti: number, dj: number): number
  /**
   * Tasks with the same key are alike on this call's devices: the same ms (and so cost and
   * lateness) and the same misfits on every one. A blob counts by its hash only when some idle
   * device holds it; otherwise only its bytes matter (every device would fetch it).
   */
  classKey(ti: number): string
}

// maxCostRatio's reference, memoised by the fleet array's identity (callers must not mutate it).
// One bit per backend name, stable across calls so memoised columns stay comparable.
const bit = new Map<string, number>()
const refCols = new WeakMap<DeviceSlot[], Cols>()
const refMemo = new WeakMap<DeviceSlot[], WeakMap<TaskNeed, number>>()
type Cols = { msPerFlop: Float64Array; msPerByte: Float64Array; msPerBlobByte: Float64Array; mem: Float64Array; backendBit: Int32Array; pricePerMs: Float64Array; cached: (ReadonlySet<string> | undefined)[] }

// The fleet's ids as a set, memoised by the array's identity (callers must not mutate it):
// a steady dispatcher passes the same fleet array call after call.
const fleetSets = new WeakMap<string[], ReadonlySet<string>>()
function fleetSet(ids: string[]): ReadonlySet<string> {
  let s = fleetSets.get(ids)
  if (!s) fleetSets.set(ids, (s = new Set(ids)))
  return s
}

export function makeProblem(tasks: TaskNeed[], devices: DeviceSlot[], opts: ProblemOptions): Problem {
  const fleet = opts.fleet ? fleetSet(opts.fleet) : new Set(devices.map((d) => d.id))
  const D = devices.length
  const T = tasks.length
  const slack = f64Scratch(F64.slack, T)
  const refCost = f64Scratch(F64.refCost, T)
  // Devices: ms per FLOP, ms per byte, memory, backend as one bit (0: unknown, runs anything).
  const cols = (list: DeviceSlot[]): Cols => ({
    msPerFlop: Float64Array.from(list, (d) => 1 / ((d.gflops > 0 ? d.gflops : UNMEASURED_GFLOPS) * 1e6)),
    msPerByte: Float64Array.from(list, (d) => (d.bandwidth && d.bandwidth > 0 ? 1000 / d.bandwidth : 0)),
    // Blobs are never free to fetch: an unmeasured link is planned at UNMEASURED_BANDWIDTH, so a holder still wins.
    msPerBlobByte: Float64Array.from(list, (d) => 1000 / (d.bandwidth && d.bandwidth > 0 ? d.bandwidth : UNMEASURED_BANDWIDTH)),
    mem: Float64Array.from(list, (d) => d.memoryBudget),
    backendBit: Int32Array.from(list, (d) => (d.backend ? (bit.get(d.backend) ?? bit.set(d.backend, 1 << Math.min(bit.size, 30)).get(d.backend)!) : 0)),
    pricePerMs: Float64Array.from(list, (d) => opts.prices.perSecond[deviceClass(d)] / 1000),
    cached: list.map((d) => d.cached),
  })
  const idle = cols(devices)
  const { mem, backendBit } = idle
  const ratio = opts.maxCostRatio
  const refList = opts.fleetSlots ?? devices
  let cachedRef = ratio !== undefined ? refCols.get(refList) : undefined
  if (ratio !== undefined && cachedRef === undefined) {
    cachedRef = opts.fleetSlots ? cols(opts.fleetSlots) : idle
    refCols.set(refList, cachedRef)
    refMemo.set(refList, new WeakMap())
  }
  const ref = cachedRef ?? null
  const pricePerMs = idle.pricePerMs
  const index = new Map(devices.map((d, j) => [d.id, j]))
  // Tasks: rules resolved lazily, since a big call looks at only the head of the queue.
  // Per-task arrays come from scratch (reused across calls): only resolved tasks' entries are valid.
  scratch.generation++
  const resolved = i32Scratch(I32.resolved, T).fill(0, 0, T)
  const rules = new Map<number, FitRule>()
  const flops = f64Scratch(F64.flops, T)
  const bytes = f64Scratch(F64.bytes, T)
  const need = f64Scratch(F64.need, T)
  const backendMask = i32Scratch(I32.backendMask, T)
  const blobBytes = f64Scratch(F64.blobBytes, T)
  const only = i32Scratch(I32.only, T) // -1: any device; else the one device index allowed; -2: none idle
  const avoidAt = i32Scratch(I32.avoid, T) // index into avoidIdle, or -1
  const avoidIdle: Uint8Array[] = []
  const rule = (ti: number): FitRule => {
    let r = rules.get(ti)
    if (r) return r
    r = fitRule(tasks[ti], fleet)
    rules.set(ti, r)
    resolved[ti] = 1
    const t = tasks[ti]
    // Copied out: task objects come in many shapes, which makes property reads slow in the hot loop.
    flops[ti] = t.flops
    bytes[ti] = t.bytes ?? 0
    need[ti] = t.memoryBytes
    backendMask[ti] = t.backends ? t.backends.reduce((m, b) => m | (bit.get(b) ?? 0), 0) : -1
    only[ti] = r.preferred !== undefined ? (index.get(r.preferred) ?? -2) : -1
    slack[ti] = t.deadline === undefined ? Infinity : t.deadline - opts.now
    blobBytes[ti] = 0
    if (t.blobs) for (const b of t.blobs) blobBytes[ti] += b.bytes
    avoidAt[ti] = -1
    if (r.strict && r.avoid.size > 0) {
      const a = new Uint8Array(D)
      devices.forEach((d, j) => (a[j] = r!.avoid.has(d.id) ? 1 : 0))
      avoidAt[ti] = avoidIdle.push(a) - 1
    }
    if (ref) {
      // Memoised per fleet array and task object: a dispatch reads the same ones again and again.
      const memo = refMemo.get(opts.fleetSlots ?? devices)
      let c = memo?.get(t)
      if (c === undefined) {
        c = cheapest(ti, ref)
        memo?.set(t, c)
      }
      refCost[ti] = c
    }
    return r
  }
  // Fetch time of the task's blobs the device does not hold yet.
  const missing = (ti: number, c: ReadonlySet<string> | undefined): number => {
    let left = blobBytes[ti]
    if (left === 0 || c === undefined || c.size === 0) return left
    for (const b of tasks[ti].blobs!) if (c.has(b.hash)) left -= b.bytes
    return left
  }
  const base = (ti: number, dj: number, d: Cols): number =>
    flops[ti] * d.msPerFlop[dj] + bytes[ti] * d.msPerByte[dj] + (blobBytes[ti] > 0 ? missing(ti, d.cached[dj]) * d.msPerBlobByte[dj] : 0)
  /** Cheapest cost over the reference devices that fit by memory and backend. */
  const cheapest = (ti: number, d: Cols): number => {
    let best = Infinity
    for (let j = 0; j < d.mem.length; j++) {
      if (d.mem[j] !== 0 && d.mem[j] < need[ti]) continue
      if (d.backendBit[j] !== 0 && (backendMask[ti] & d.backendBit[j]) === 0) continue
      const c = base(ti, j, d) * d.pricePerMs[j]
      if (c < best) best = c
    }
    return best
  }
  const fits = (ti: number, dj: number): boolean => {
    if (resolved[ti] === 0) rule(ti)
    const o = only[ti]
    if (o !== -1 && o !== dj) return false
    if (mem[dj] !== 0 && mem[dj] < need[ti]) return false
    const b = backendBit[dj]
    if (b !== 0 && (backendMask[ti] & b) === 0) return false
    return avoidAt[ti] < 0 || avoidIdle[avoidAt[ti]][dj] === 0
  }
  const ms = (ti: number, dj: number): number => {
    if (!fits(ti, dj)) return Infinity
    const x = base(ti, dj, idle)
    // Too dear next to the fleet's best: the task waits for it (its preferred device always fits).
    if (ratio !== undefined && only[ti] === -1 && x * pricePerMs[dj] > ratio * refCost[ti]) return Infinity
    return x
  }
  let held: Set<string> | null = null
  const heldAnywhere = (): Set<string> => {
    if (held) return held
    held = new Set()
    for (const d of devices) if (d.cached) for (const h of d.cached) held.add(h)
    return held
  }
  const keys = new Map<number, string>()
  const classKey = (ti: number): string => {
    let k = keys.get(ti)
    if (k !== undefined) return k
    const r = rule(ti)
    const t = tasks[ti]
    const blobs = blobBytes[ti] > 0 && heldAnywhere().size > 0 ? t.blobs!.filter((b) => held!.has(b.hash)).map((b) => `${b.hash}:${b.bytes}`).sort().join(',') : ''
    const avoid = r.strict && r.avoid.size > 0 ? [...r.avoid].sort().join(',') : ''
    k = [flops[ti], bytes[ti], need[ti], t.backends?.join('|') ?? '*', r.preferred ?? '', t.prefer ?? '', slack[ti], blobBytes[ti], ref ? refCost[ti] : 0, avoid, blobs].join('\u0000')
    keys.set(ti, k)
    return k
  }
  const whyNot = (ti: number, dj: number): Misfit => misfit(tasks[ti], devices[dj], rule(ti)) ?? (fits(ti, dj) && ms(ti, dj) === Infinity ? 'costly' : null)
  return { tasks, devices, generation: scratch.generation, now: opts.now, pricePerMs, slack, refCost, rule, misfit: whyNot, ms, classKey }
}
