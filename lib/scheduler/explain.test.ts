import { describe, expect, it } from 'vitest'
import { assign } from './assign'
import { explain, type Explanation } from './explain'
import { misfitText } from './fit'
import { DEFAULT_PRICES } from './pricing'
import { makeProblem, type Problem } from './problem'
import { mulberry32, randomInstance } from './random'

const now = 1_000_000
const opts = { now, prices: DEFAULT_PRICES }

/** Independent reference: one plain walk over the devices for this task and this choice. */
function reference(p: Problem, ti: number, chosen: number): Explanation {
  const task = p.tasks[ti]
  const ms = p.ms(ti, chosen)
  const late = ms > p.slack[ti]
  const fitting = p.devices.map((_, dj) => dj).filter((dj) => p.ms(ti, dj) !== Infinity)
  const cost = (dj: number) => p.ms(ti, dj) * p.pricePerMs[dj]
  const isLate = (dj: number) => p.ms(ti, dj) > p.slack[ti]
  const cheapest = fitting.reduce((b, dj) => (b < 0 || cost(dj) < cost(b) ? dj : b), -1)
  // First device (by index) that is best by (on time, cost), the chosen one left out.
  const others = fitting.filter((dj) => dj !== chosen)
  const runner = others.reduce((b, dj) => (b < 0 || (Number(isLate(dj)) - Number(isLate(b)) || cost(dj) - cost(b)) < 0 ? dj : b), -1)
  // Devices it could not use, and (when the choice is on time) the ones that would be late; fastest 5, stable.
  const rejected = p.devices
    .map((d, dj) => ({ dj, speed: d.gflops }))
    .filter(({ dj }) => p.ms(ti, dj) === Infinity || (!late && dj !== chosen && isLate(dj)))
    .sort((a, b) => b.speed - a.speed || a.dj - b.dj)
    .slice(0, 5)
  const reason = p.rule(ti).preferred === p.devices[chosen].id ? 'preferred' : fitting.length === 1 ? 'only-fit' : !late && cheapest !== chosen && isLate(cheapest) ? 'deadline' : 'cheapest'
  return {
    taskId: task.id,
    deviceId: p.devices[chosen].id,
    reason,
    expectedMs: ms,
    cost: cost(chosen),
    late,
    ...(runner >= 0 ? { runnerUp: { deviceId: p.devices[runner].id, expectedMs: p.ms(ti, runner), cost: cost(runner) } } : {}),
    rejected: rejected.map(({ dj }) => {
      const why = p.ms(ti, dj) === Infinity ? p.misfit(ti, dj) : null
      return { deviceId: p.devices[dj].id, why: why === null ? `would miss the deadline by ${Math.ceil(p.ms(ti, dj) - p.slack[ti])} ms` : misfitText(why, task, p.devices[dj]) }
    }),
  }
}

describe('explain', () => {
  it('agrees with a plain reference walk, alone and with scans shared between alike tasks', () => {
    const rng = mulberry32(11)
    let checked = 0
    let shared = 0
    for (let i = 0; i < 300; i++) {
      const inst = randomInstance(rng, { maxTasks: 12, maxDevices: 10, now })
      // Half the instances: copies of a few tasks, so several placements share a class.
      const tasks = i % 2 ? inst.tasks : inst.tasks.map((t, k) => ({ ...inst.tasks[k % 3], id: t.id }))
      const got = assign(tasks, inst.devices, { ...opts, fleet: inst.fleet })
      const explained = got.explanations
      const p = makeProblem(tasks, inst.devices, { ...opts, fleet: inst.fleet })
      got.assignments.forEach((a, k) => {
        const ti = tasks.findIndex((t) => t.id === a.taskId)
        const dj = inst.devices.findIndex((d) => d.id === a.deviceId)
        const want = reference(p, ti, dj)
        expect(explain(p, ti, dj)).toEqual(want)
        expect(explained[k]).toEqual(want)
        checked++
      })
      const classes = new Set(got.assignments.map((a) => p.classKey(tasks.findIndex((t) => t.id === a.taskId))))
      shared += got.assignments.length - classes.size
    }
    expect(checked).toBeGreaterThan(500)
    expect(shared).toBeGreaterThan(100)
  })

  it('tells tasks apart that differ in anything that changes a cost or a misfit', () => {
    const devices = [
      { id: 'a', gflops: 100, memoryBudget: 1e9, cached: new Set(['held']) },
      { id: 'b', gflops: 50, memoryBudget: 1e6 },
    ]
    const base = { id: 1, flops: 1e9, memoryBytes: 1e3 }
    const variants = [
      { ...base, id: 2 },
      { ...base, id: 3, flops: 2e9 },
      { ...base, id: 4, memoryBytes: 1e7 },
      { ...base, id: 5, deadline: now + 5 },
      { ...base, id: 6, avoid: ['a'] },
      { ...base, id: 7, backends: ['webgpu'] },
      { ...base, id: 8, blobs: [{ hash: 'held', bytes: 100 }] },
      { ...base, id: 9, blobs: [{ hash: 'other', bytes: 100 }] },
      { ...base, id: 10, blobs: [{ hash: 'another', bytes: 100 }] },
      { ...base, id: 11, prefer: 'b' },
    ]
    const p = makeProblem([base, ...variants], devices, { ...opts, fleet: ['a', 'b'] })
    const key = (ti: number) => p.classKey(ti)
    expect(key(1)).toBe(key(0))
    for (let ti = 2; ti <= 8; ti++) expect(key(ti), `task ${ti + 1}`).not.toBe(key(0))
    // A blob no device holds counts by its size only: every device would fetch it.
    expect(key(9)).toBe(key(8))
    expect(key(10)).not.toBe(key(0))
  })
})
