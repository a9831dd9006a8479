import { describe, expect, it } from 'vitest'
import { assign } from './assign'
import type { DeviceSlot, TaskNeed } from './match'
import { DEFAULT_PRICES, taskCost } from './pricing'
import { mulberry32, randomInstance } from './random'
// Queue order is rank.ts's (tested below and in rank.test.ts); the reference takes it as given.
import { rankTasks } from './rank'

const now = 1_000_000
const opts = { now, prices: DEFAULT_PRICES }

/** Independent reference: fit rules written out again, then DP over (task in queue order, used devices). */
function bruteForce(tasks: TaskNeed[], devices: DeviceSlot[], order: number[], fleet: string[]) {
  const edge = (t: TaskNeed, d: DeviceSlot) => {
    const others = fleet.some((id) => !(t.avoid ?? []).includes(id))
    if (t.prefer && fleet.includes(t.prefer) && !(t.avoid ?? []).includes(t.prefer) && d.id !== t.prefer) return null
    if (d.memoryBudget !== 0 && d.memoryBudget < t.memoryBytes) return null
    if (others && (t.avoid ?? []).includes(d.id)) return null
    if (t.backends && d.backend && !t.backends.includes(d.backend)) return null
    const lacking = (t.blobs ?? []).filter((b) => !d.cached?.has(b.hash)).reduce((sum, b) => sum + b.bytes, 0)
    const ms = (t.flops / (d.gflops * 1e9) + (t.bytes && d.bandwidth ? t.bytes / d.bandwidth : 0) + lacking / (d.bandwidth ?? 10e6)) * 1000
    return { cost: taskCost(t, d, DEFAULT_PRICES), late: t.deadline !== undefined && now + ms > t.deadline ? 1 : 0 }
  }
  const n = order.length
  type Best = { served: number; late: number; cost: number }
  const better = (a: Best, b: Best) => a.served > b.served || (a.served === b.served && (a.late < b.late || (a.late === b.late && a.cost < b.cost - 1e-12)))
  const memo = new Map<number, Best>()
  // served is a bit pattern with queue position 0 as the top bit: more tasks first, then earlier ones.
  const go = (k: number, used: number): Best => {
    if (k === n) return { served: 0, late: 0, cost: 0 }
    const key = k * 1024 + used
    const hit = memo.get(key)
    if (hit) return hit
    let best = go(k + 1, used)
    devices.forEach((d, j) => {
      if (used & (1 << j)) return
      const e = edge(tasks[order[k]], d)
      if (!e) return
      const rest = go(k + 1, used | (1 << j))
      const cand = { served: rest.served + (1 << (n - 1 - k)), late: rest.late + e.late, cost: rest.cost + e.cost }
      if (better(cand, best)) best = cand
    })
    memo.set(key, best)
    return best
  }
  const popcount = (x: number) => x.toString(2).replace(/0/g, '').length
  const best = go(0, 0)
  return { ...best, count: popcount(best.served) }
}

describe('assign', () => {
  it('matches the brute-force optimum on 400 random instances (most served, fewest late, least cost)', () => {
    const rng = mulberry32(42)
    let withContention = 0
    for (let i = 0; i < 400; i++) {
      const { tasks, devices, fleet } = randomInstance(rng, { maxTasks: 8, maxDevices: 8, now })
      const { assignments, explanations } = assign(tasks, devices, { ...opts, fleet })
      const order = rankTasks(tasks)
      const want = bruteForce(tasks, devices, order, fleet)
      const servedBits = order.reduce((b, ti, k) => (assignments.some((a) => a.taskId === tasks[ti].id) ? b + (1 << (order.length - 1 - k)) : b), 0)
      expect(servedBits).toBe(want.served)
      expect(assignments.length).toBe(want.count)
      expect(assignments.filter((a) => a.late).length).toBe(want.late)
      const total = assignments.reduce((s, a) => s + a.cost!, 0)
      expect(Math.abs(total - want.cost)).toBeLessThanOrEqual(1e-9 * Math.max(1, want.cost))
      expect(new Set(assignments.map((a) => a.deviceId)).size).toBe(assignments.length)
      expect(explanations.map((e) => e.taskId)).toEqual(assignments.map((a) => a.taskId))
      if (assignments.length < tasks.length && assignments.length > 0) withContention++
    }
    expect(withContention).toBeGreaterThan(50)
  })

  it('never breaks a fit rule, and meets every deadline an idle device can meet when it has room', () => {
    const rng = mulberry32(7)
    for (let i = 0; i < 300; i++) {
      const { tasks, devices, fleet } = randomInstance(rng, { maxTasks: 6, maxDevices: 8, now })
      const { assignments, explanations } = assign(tasks, devices, { ...opts, fleet })
      for (const [k, a] of assignments.entries()) {
        const t = tasks.find((x) => x.id === a.taskId)!
        const d = devices.find((x) => x.id === a.deviceId)!
        expect(d.memoryBudget === 0 || d.memoryBudget >= t.memoryBytes).toBe(true)
        expect(!t.backends || !d.backend || t.backends.includes(d.backend)).toBe(true)
        if (t.prefer && fleet.includes(t.prefer) && !(t.avoid ?? []).includes(t.prefer)) expect(d.id).toBe(t.prefer)
        expect(a.late).toBe(t.deadline !== undefined && now + a.expectedMs > t.deadline)
        expect(explanations[k].rejected.length).toBeLessThanOrEqual(5)
      }
    }
  })

  it('gives a task that no device can finish in time its cheapest fit, marked late', () => {
    const devices = [
      { id: 'gpu', gflops: 2000, memoryBudget: 1e9, backend: 'webgpu' },
      { id: 'cpu', gflops: 20, memoryBudget: 1e9, backend: 'wasm' },
    ]
    const task = { id: 1, memoryBytes: 1, flops: 1e13, deadline: now + 10 }
    const { explanations } = assign([task], devices, opts)
    expect(explanations[0]).toMatchObject({ deviceId: 'gpu', late: true, reason: 'cheapest', runnerUp: { deviceId: 'cpu' } })
  })

  it('pays more for a device that meets the deadline, and says so', () => {
    const devices = [
      { id: 'dc', gflops: 40_000, memoryBudget: 1e9, backend: 'webgpu' },
      { id: 'cheap', gflops: 1000, memoryBudget: 1e9, backend: 'webgpu' },
    ]
    const small = { id: 1, memoryBytes: 1, flops: 1e9, bytes: 1e7 }
    const bw = devices.map((d) => ({ ...d, bandwidth: 1e7 }))
    expect(assign([small], bw, opts).explanations[0]).toMatchObject({ deviceId: 'cheap', reason: 'cheapest' })
    const urgent = { ...small, deadline: now + 1000.5 }
    const e = assign([urgent], bw, opts).explanations[0]
    expect(e).toMatchObject({ deviceId: 'dc', reason: 'deadline', late: false, runnerUp: { deviceId: 'cheap' } })
    expect(e.rejected).toEqual([{ deviceId: 'cheap', why: expect.stringMatching(/miss the deadline by \d+ ms/) }])
  })

  it('puts big models on big devices and small ones on small devices', () => {
    const devices = [
      { id: 'dc', gflops: 30_000, memoryBudget: 0, backend: 'webgpu', bandwidth: 1e8 },
      { id: 'laptop', gflops: 800, memoryBudget: 0, backend: 'webgpu', bandwidth: 1e8 },
    ]
    const tasks = [
      { id: 1, memoryBytes: 1, flops: 1e8, bytes: 1e8 }, // transfer-bound
      { id: 2, memoryBytes: 1, flops: 1e15, bytes: 1e6 }, // compute-bound
    ]
    const out = assign(tasks, devices, opts).assignments
    expect(Object.fromEntries(out.map((a) => [a.taskId, a.deviceId]))).toEqual({ 1: 'laptop', 2: 'dc' })
  })

  it('serves by priority, then fewest running tasks per job, then age', () => {
    const devices = [{ id: 'a', gflops: 10, memoryBudget: 0 }, { id: 'b', gflops: 10, memoryBudget: 0 }]
    const t = (id: number, jobId: string, extra: Partial<TaskNeed> = {}): TaskNeed => ({ id, memoryBytes: 1, flops: 1e9, jobId, createdAt: id, ...extra })
    const served = (tasks: TaskNeed[], running?: Record<string, number>) =>
      assign(tasks, devices, { ...opts, running }).assignments.map((a) => a.taskId).sort((x, y) => x - y)
    // Job A queued first with three tasks; job B's one task still gets a device.
    expect(served([t(1, 'A'), t(2, 'A'), t(3, 'A'), t(4, 'B')])).toEqual([1, 4])
    // Job A runs fewer tasks already: both go to A.
    expect(served([t(1, 'B'), t(2, 'A'), t(3, 'A'), t(4, 'B')], { A: 0, B: 5 })).toEqual([2, 3])
    // Priority beats fair share and age.
    expect(served([t(1, 'A'), t(2, 'B'), t(3, 'A', { priority: 5 }), t(4, 'A', { priority: 5 })])).toEqual([3, 4])
    // Equal in all else: the older task.
    expect(served([t(9, 'A'), t(5, 'B'), t(7, 'C')])).toEqual([5, 7])
  })

  it('serves a lower-ranked task when the higher one fits no free device', () => {
    const devices = [{ id: 'small', gflops: 10, memoryBudget: 1e3 }]
    const out = assign([{ id: 1, memoryBytes: 1e6, flops: 1, priority: 9 }, { id: 2, memoryBytes: 1, flops: 1 }], devices, opts)
    expect(out.assignments.map((a) => a.taskId)).toEqual([2])
  })

  it('keeps matchTasks rules: avoid, preferred device, backend', () => {
    const devices = [
      { id: 'owner', gflops: 1, memoryBudget: 1e9, backend: 'webgpu' },
      { id: 'flaky', gflops: 90, memoryBudget: 1e9, backend: 'webgpu' },
      { id: 'wasm', gflops: 30, memoryBudget: 1e9, backend: 'wasm' },
    ]
    const { explanations } = assign(
      [
        { id: 1, memoryBytes: 1, flops: 1e9, prefer: 'owner' },
        { id: 2, memoryBytes: 1, flops: 1e9, avoid: ['flaky'], backends: ['webgpu', 'cpu'] },
      ],
      devices,
      opts,
    )
    expect(explanations.map((e) => [e.taskId, e.deviceId, e.reason])).toEqual([
      [1, 'owner', 'preferred'],
    ])
    expect(assign([{ id: 2, memoryBytes: 1, flops: 1e9, avoid: ['flaky'], backends: ['webgpu', 'cpu'] }], devices.slice(1), { ...opts, fleet: ['flaky', 'wasm', 'owner'] }).assignments).toEqual([])
    // A preferred device the task must avoid (it holds another copy, or failed it) is no preference.
    const moved = assign([{ id: 3, memoryBytes: 1, flops: 1e9, prefer: 'owner', avoid: ['owner'] }], devices, { ...opts, fleet: ['owner', 'flaky', 'wasm'] }).assignments
    expect(moved).toHaveLength(1)
    expect(moved[0].deviceId).not.toBe('owner')
    const only = assign([{ id: 2, memoryBytes: 1, flops: 1e9, backends: ['webgpu'] }], devices.slice(1), opts).explanations[0]
    expect(only).toMatchObject({ deviceId: 'flaky', reason: 'only-fit', rejected: [{ deviceId: 'wasm', why: expect.stringContaining('backend wasm') }] })
  })

  it('places alike tasks (one row of costs) at the brute-force optimum too, and in default windows as in one exact solve', () => {
    const rng = mulberry32(77)
    let placed = 0
    for (let i = 0; i < 300; i++) {
      const { tasks, devices, fleet } = randomInstance(rng, { maxTasks: 8, maxDevices: 8, now })
      // Copies of one random task under other ids, queued in other orders: the alike path.
      const alike = tasks.map((t, k) => ({ ...tasks[0], id: t.id, createdAt: now - k * 7, priority: k % 2 }))
      const { assignments } = assign(alike, devices, { ...opts, fleet })
      const want = bruteForce(alike, devices, rankTasks(alike), fleet)
      expect(assignments.length).toBe(want.count)
      expect(assignments.filter((a) => a.late).length).toBe(want.late)
      const total = assignments.reduce((s, a) => s + a.cost!, 0)
      expect(Math.abs(total - want.cost)).toBeLessThanOrEqual(1e-9 * Math.max(1, want.cost))
      expect(new Set(assignments.map((a) => a.deviceId)).size).toBe(assignments.length)
      placed += assignments.length
    }
    expect(placed).toBeGreaterThan(300)
    // Many alike tasks on many devices: as good as the exact windowed solve, which is exact in one window.
    const { tasks, devices, fleet } = randomInstance(mulberry32(9), { maxTasks: 300, maxDevices: 200, now, minTasks: 300, minDevices: 200 })
    const alike = tasks.map((t) => ({ ...tasks[1], id: t.id }))
    const fast = assign(alike, devices, { ...opts, fleet })
    const oneWindow = assign(alike.map((t, k) => (k === 0 ? { ...t, flops: t.flops * (1 + 1e-12) } : t)), devices, { ...opts, fleet, window: 1000 })
    const cost = (r: typeof fast) => r.assignments.reduce((s, a) => s + a.cost!, 0)
    expect(fast.assignments.length).toBe(oneWindow.assignments.length)
    expect(fast.assignments.filter((a) => a.late).length).toBe(oneWindow.assignments.filter((a) => a.late).length)
    expect(Math.abs(cost(fast) - cost(oneWindow))).toBeLessThanOrEqual(1e-6 * cost(oneWindow))
  })

  it('serves as many in default windows (64, several per call) as in one exact solve, at a cost no lower and not far higher', () => {
    const rng = mulberry32(3)
    const { tasks, devices, fleet } = randomInstance(rng, { maxTasks: 300, maxDevices: 200, now, minTasks: 300, minDevices: 200 })
    const small = assign(tasks, devices, { ...opts, fleet, window: 64 })
    const exact = assign(tasks, devices, { ...opts, fleet, window: 1000 })
    expect(small.assignments.length).toBe(exact.assignments.length)
    const late = (r: typeof small) => r.assignments.filter((a) => a.late).length
    const cost = (r: typeof small) => r.assignments.reduce((s, a) => s + a.cost!, 0)
    expect(late(small)).toBeGreaterThanOrEqual(late(exact))
    if (late(small) === late(exact)) expect(cost(small)).toBeGreaterThanOrEqual(cost(exact) - 1e-9)
    expect(late(small)).toBeLessThanOrEqual(late(exact) + 3)
    expect(cost(small)).toBeLessThan(cost(exact) * 1.25)
  })
})

describe('assign (lazy parts)', () => {
  it('builds explanations on demand, also after later calls reused its scratch arrays', () => {
    const rng = mulberry32(5)
    const a = randomInstance(rng, { maxTasks: 8, maxDevices: 8, now, minTasks: 8, minDevices: 8 })
    const first = assign(a.tasks, a.devices, { ...opts, fleet: a.fleet })
    expect(first.assignments.length).toBeGreaterThan(0)
    const eager = first.assignments.map((x) => first.explain(x.taskId))
    const late = assign(a.tasks, a.devices, { ...opts, fleet: a.fleet })
    const b = randomInstance(rng, { maxTasks: 8, maxDevices: 8, now })
    assign(b.tasks, b.devices, { ...opts, fleet: b.fleet })
    expect(late.explanations).toEqual(eager)
    expect(late.explain(-1)).toBeUndefined()
  })

  it('skips queued tasks that fit no idle device without counting them against maxTasks', () => {
    const devices = [{ id: 'small', gflops: 10, memoryBudget: 1e3 }]
    const big = Array.from({ length: 100 }, (_, i) => ({ id: i + 1, memoryBytes: 1e6, flops: 1, priority: 1 }))
    const out = assign([...big, { id: 999, memoryBytes: 1, flops: 1 }], devices, { ...opts, maxTasks: 1 })
    expect(out.assignments.map((x) => x.taskId)).toEqual([999])
    expect(assign([...big, { id: 999, memoryBytes: 1, flops: 1 }], devices, { ...opts, maxScan: 50 }).assignments).toEqual([])
  })
})
