/**
 * Fleet simulator (pure, seeded, simulated clock in ms; it never sleeps).
 *
 * Runs one dispatch policy against a simulated fleet and workload and measures it:
 *   events   join / leave (churn), finish (a lease ends), dispatch (idle devices ask for
 *            work), check (nimble's straggler policy looks at running leases every 5 s)
 *   churn    each device leaves after an exponential time with mean 60 / churn minutes; a
 *            task it was running is lost and reissued; new devices arrive at the same rate
 *   slowness a task runs 5-20x slower than the device's profile with probability `slowRate`
 *   training nimble sizes each round's shards by speed (shardSizes) for chosen devices;
 *            baselines cut equal shards
 * The fleet and its churn come from their own seeded stream, so every policy meets the
 * same devices at the same times. Cost is price per second x busy seconds, wasted work included.
 */
import type { TaskNeed } from '../scheduler/match'
import { DEFAULT_PRICES, expectedMs, type PriceTable } from '../scheduler/pricing'
import { mulberry32 } from '../scheduler/random'
import { shardSizes } from '../scheduler/shards'
import { spares } from '../scheduler/straggler'
import { EventQueue } from './events'
import { makePolicy, type DispatchContext, type PolicyName } from './policies'
import { drawClass, makeDevice, type Mix, type SimDevice } from './profiles'
import { makeWorkload, type Job, type TrainJob } from './workload'

export type SimOptions = {
  devices: number
  mix: Mix
  /** Fraction of the fleet leaving per simulated minute (and as many arriving). */
  churn: number
  seed: number
  prices?: PriceTable
  slowRate?: number
  maxCostRatio?: number
  /** Give up (and flag it) after this much simulated time. */
  maxSimMs?: number
  jobs?: Job[]
}
export type SimResult = {
  policy: PolicyName
  finished: boolean
  makespanSec: number
  cost: number
  utilization: number
  wastedDeviceSec: number
  wastedCost: number
  tasksDone: number
  tasksLost: number
  sparesLaunched: number
  sparesWon: number
  devicesSeen: number
}

type Task = { need: TaskNeed; job: string; round: number; done: boolean; leases: Lease[] }
type Lease = { task: Task; device: Dev; start: number; end: number; spare: boolean; expectedMs: number; over: boolean }
type Dev = SimDevice & { online: boolean; joinedAt: number; leftAt: number; lease?: Lease; cached: Set<string> }
type Ev = { kind: 'join' } | { kind: 'leave'; d: Dev } | { kind: 'finish'; l: Lease } | { kind: 'dispatch' } | { kind: 'check' }

const CHECK_MS = 5000
const WAITING_CAP = 64

export function simulate(policy: PolicyName, o: SimOptions): SimResult {
  const prices = o.prices ?? DEFAULT_PRICES
  const rngFleet = mulberry32(o.seed)
  const rngRun = mulberry32(o.seed ^ 0x5eed)
  const jobs = o.jobs ?? makeWorkload(mulberry32(o.seed + 1), o.devices)
  const slowRate = o.slowRate ?? 0.05
  const ratio = o.maxCostRatio ?? 3
  const maxSim = o.maxSimMs ?? 48 * 3600_000
  const pick = makePolicy(policy)
  const q = new EventQueue<Ev>()
  const lifeMs = (rate: number) => -Math.log(1 - rngFleet()) / rate
  const perMs = o.churn / 60_000
  let nextDevice = 0
  const all: Dev[] = []
  const online = new Set<Dev>()
  const join = (now: number) => {
    const d: Dev = { ...makeDevice(rngFleet, `d${nextDevice++}`, drawClass(rngFleet, o.mix), prices.perSecond), online: true, joinedAt: now, leftAt: Infinity, cached: new Set() }
    all.push(d)
    online.add(d)
    fresh.add(d)
    if (perMs > 0) q.push(now + lifeMs(perMs), { kind: 'leave', d })
    fleetChanged = true
  }

  // Bookkeeping
  let now = 0
  let nextTaskId = 1
  let cost = 0
  let busyMs = 0
  let wastedMs = 0
  let wastedCost = 0
  let tasksDone = 0
  let tasksLost = 0
  let sparesLaunched = 0
  let sparesWon = 0
  let fleetChanged = true
  let newWork = 0 // tasks queued since the last dispatch
  let dispatchPending = false
  const fresh = new Set<Dev>()
  const waiting = new Set<Dev>()
  let ready: Task[] = []
  const leases = new Set<Lease>()
  const running: Record<string, number> = {}
  const jobLeft = new Map<string, number>()
  const roundLeft = new Map<string, number>()
  const targeted = new Map<string, number>()
  const roundTargets = new Map<string, string[]>()
  let jobsLeft = jobs.length
  let makespan = 0

  const addTask = (job: string, round: number, need: Omit<TaskNeed, 'id'>) => {
    const t: Task = { need: { ...need, id: nextTaskId++, jobId: job, createdAt: now }, job, round, done: false, leases: [] }
    ready.push(t)
    newWork++
    return t
  }
  const startRound = (j: TrainJob, round: number) => {
    const blob = { hash: `${j.id}-data`, bytes: j.blobBytes }
    const base = { memoryBytes: j.memoryBytes, bytes: 1e6, blobs: [blob] }
    let shards: { rows: number; prefer?: string }[]
    if (policy === 'nimble') {
      // Speed-sized shards for the devices this round will use: cost-effective per FLOP, not
      // already targeted by another round, idle first, fastest first.
      const fit = [...online].filter((d) => d.memoryBudget >= j.memoryBytes)
      const perFlop = (d: Dev) => d.pricePerSec / d.gflops
      const best = Math.min(...fit.map(perFlop))
      const chosen = fit
        .filter((d) => perFlop(d) <= ratio * best)
        .sort((a, b) => (targeted.get(a.id) ?? 0) - (targeted.get(b.id) ?? 0) || Number(!!a.lease) - Number(!!b.lease) || b.gflops - a.gflops)
        .slice(0, j.shards)
      const sizes = shardSizes(j.rows, chosen, Math.ceil(j.rows / j.shards / 20))
      shards = sizes.map((s) => ({ rows: s.rows, prefer: s.id }))
      for (const s of sizes) targeted.set(s.id, (targeted.get(s.id) ?? 0) + 1)
      roundTargets.set(j.id, sizes.map((s) => s.id))
    } else {
      shards = shardSizes(j.rows, Array.from({ length: j.shards }, (_, i) => ({ id: `s${i}`, gflops: 0 })))
    }
    roundLeft.set(j.id, shards.length)
    for (const s of shards) addTask(j.id, round, { ...base, flops: s.rows * j.flopsPerRow, ...(s.prefer ? { prefer: s.prefer } : {}) })
  }
  const trainById = new Map<string, TrainJob>()
  for (const j of jobs) {
    if (j.kind === 'train') {
      trainById.set(j.id, j)
      jobLeft.set(j.id, j.rounds)
    } else {
      jobLeft.set(j.id, j.tasks.length)
    }
  }

  const wakeDispatch = () => {
    if (!dispatchPending) {
      dispatchPending = true
      q.push(now, { kind: 'dispatch' })
    }
  }
  const endLease = (l: Lease, wasted: boolean) => {
    l.over = true
    leases.delete(l)
    const ms = Math.max(0, now - l.start)
    const c = (ms / 1000) * l.device.pricePerSec
    busyMs += ms
    cost += c
    if (wasted) {
      wastedMs += ms
      wastedCost += c
    }
    l.task.leases = l.task.leases.filter((x) => x !== l)
    l.device.lease = undefined
    running[l.task.job]--
  }
  const startLease = (task: Task, d: Dev, expected: number, spare: boolean) => {
    const slow = rngRun() < slowRate ? 5 + 15 * rngRun() : 1
    const ms = expectedMs(task.need, d) * slow
    const l: Lease = { task, device: d, start: now, end: now + ms, spare, expectedMs: expected, over: false }
    task.leases.push(l)
    d.lease = l
    leases.add(l)
    running[task.job] = (running[task.job] ?? 0) + 1
    fresh.delete(d)
    waiting.delete(d)
    q.push(l.end, { kind: 'finish', l })
  }
  const idleAgain = (d: Dev) => {
    if (d.online && !d.lease) {
      fresh.add(d)
      wakeDispatch()
    }
  }

  const taskDone = (t: Task) => {
    t.done = true
    tasksDone++
    const train = trainById.get(t.job)
    if (train) {
      const left = roundLeft.get(t.job)! - 1
      roundLeft.set(t.job, left)
      if (left > 0) return
      for (const id of roundTargets.get(t.job) ?? []) targeted.set(id, (targeted.get(id) ?? 1) - 1)
      const roundsLeft = jobLeft.get(t.job)! - 1
      jobLeft.set(t.job, roundsLeft)
      if (roundsLeft > 0) startRound(train, train.rounds - roundsLeft)
      else jobFinished()
    } else {
      const left = jobLeft.get(t.job)! - 1
      jobLeft.set(t.job, left)
      if (left === 0) jobFinished()
    }
  }
  const jobFinished = () => {
    jobsLeft--
    if (jobsLeft === 0) makespan = now
  }

  for (let i = 0; i < o.devices; i++) join(0)
  if (perMs > 0) q.push(lifeMs(perMs * o.devices), { kind: 'join' })
  for (const j of jobs) {
    if (j.kind === 'train') startRound(j, 0)
    else for (const t of j.tasks) addTask(j.id, 0, t)
  }
  if (policy === 'nimble') q.push(CHECK_MS, { kind: 'check' })
  wakeDispatch()

  let onlineList: Dev[] = []
  let onlineIds: string[] = []
  while (jobsLeft > 0) {
    const ev = q.pop()
    if (!ev || ev.at > maxSim) break
    now = ev.at
    const e = ev.e
    if (e.kind === 'join') {
      join(now)
      q.push(now + lifeMs(perMs * o.devices), { kind: 'join' })
      wakeDispatch()
    } else if (e.kind === 'leave') {
      const d = e.d
      d.online = false
      d.leftAt = now
      online.delete(d)
      fresh.delete(d)
      waiting.delete(d)
      fleetChanged = true
      const l = d.lease
      if (l) {
        const t = l.task
        endLease(l, true)
        // Lost with no other copy running: back in the queue, once.
        if (!t.done && t.leases.length === 0) {
          tasksLost++
          ready.push(t)
          newWork++
          wakeDispatch()
        }
      }
    } else if (e.kind === 'finish') {
      const l = e.l
      if (l.over) continue
      const t = l.task
      endLease(l, false)
      if (l.spare) sparesWon++
      for (const other of [...t.leases]) {
        endLease(other, true)
        idleAgain(other.device)
      }
      for (const b of t.need.blobs ?? []) l.device.cached.add(b.hash)
      taskDone(t)
      idleAgain(l.device)
    } else if (e.kind === 'check') {
      if (leases.size > 0) {
        const idle = [...online].filter((d) => !d.lease)
        const byTask = new Map([...leases].map((l) => [l.task.need.id, l.task]))
        const list = [...leases].map((l) => ({ taskId: l.task.need.id, deviceId: l.device.id, startedAt: l.start, expectedMs: l.expectedMs, hasSpare: l.task.leases.length > 1 || l.spare }))
        const devById = new Map(idle.map((d) => [d.id, d]))
        for (const s of spares(list, idle, (id) => byTask.get(id)?.need, { now, fleet: [...online].map((d) => d.id), prices })) {
          startLease(byTask.get(s.taskId)!, devById.get(s.deviceId)!, s.expectedMs, true)
          sparesLaunched++
        }
      }
      q.push(now + CHECK_MS, { kind: 'check' })
    } else {
      dispatchPending = false
      if (fleetChanged) {
        onlineList = [...online]
        onlineIds = onlineList.map((d) => d.id)
        fleetChanged = false
      }
      const ask = [...fresh]
      if (newWork > 0) {
        // New tasks: devices that got nothing before ask again (the fastest, about as many as new tasks).
        const again = new Set([...waiting].sort((a, b) => b.gflops - a.gflops).slice(0, Math.max(WAITING_CAP, newWork)))
        // A device a queued task waits for (its preferred one) is always asked.
        const preferred = new Set(ready.map((t) => t.need.prefer).filter((id) => id !== undefined))
        for (const d of waiting) if (preferred.has(d.id)) again.add(d)
        ask.push(...again)
        newWork = 0
      }
      for (const d of fresh) waiting.add(d)
      fresh.clear()
      if (ask.length === 0 || ready.length === 0) continue
      const ctx: DispatchContext = { now, prices, online: onlineList, onlineIds, running, maxCostRatio: ratio, rng: rngRun }
      const byId = new Map(ready.map((t) => [t.need.id, t]))
      const picks = pick(
        ready.map((t) => t.need),
        ask,
        ctx,
      )
      for (const p of picks) startLease(byId.get(p.task.id)!, p.device as Dev, p.expectedMs ?? expectedMs(p.task, p.device), false)
      if (picks.length) {
        const leased = new Set(picks.map((p) => p.task.id))
        ready = ready.filter((t) => !leased.has(t.need.id))
      }
    }
  }
  const end = jobsLeft === 0 ? makespan : now
  let onlineMs = 0
  for (const d of all) onlineMs += Math.max(0, Math.min(d.leftAt, end) - d.joinedAt)
  // Leases still running at the end (only when the run gave up) count as busy so far.
  for (const l of [...leases]) endLease(l, false)
  return {
    policy,
    finished: jobsLeft === 0,
    makespanSec: end / 1000,
    cost,
    utilization: onlineMs > 0 ? busyMs / onlineMs : 0,
    wastedDeviceSec: wastedMs / 1000,
    wastedCost,
    tasksDone,
    tasksLost,
    sparesLaunched,
    sparesWon,
    devicesSeen: all.length,
  }
}
