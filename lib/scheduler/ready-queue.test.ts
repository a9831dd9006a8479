import { describe, expect, it } from 'vitest'
import { assign } from './assign'
import type { TaskNeed } from './match'
import { DEFAULT_PRICES } from './pricing'
import { mulberry32, randomInstance, randomTask } from './random'
import { rankTasks } from './rank'
import { ReadyQueue } from './ready-queue'

const drainIds = (q: ReadyQueue, running?: Record<string, number>) => {
  const r = q.ranked(running)
  const out: number[] = []
  for (let s = r.next(); s >= 0; s = r.next()) out.push(q.tasks[s].id)
  return out
}

describe('ReadyQueue', () => {
  it('yields rankTasks order through random adds and removes, and reading changes nothing', () => {
    const rng = mulberry32(5)
    for (let trial = 0; trial < 60; trial++) {
      const q = new ReadyQueue()
      const live = new Map<number, TaskNeed>()
      let nextId = 1
      for (let step = 0; step < 40; step++) {
        // Arrivals (some without a job, some with only an owner, some older than what is queued).
        for (let k = Math.floor(rng() * 6); k > 0; k--) {
          const t = randomTask(rng, nextId++, ['d0', 'd1'], 1e6)
          const r = rng()
          if (r < 0.2) delete t.jobId
          if (r < 0.1) t.owner = rng() < 0.5 ? 'x' : 'y'
          q.add(t)
          live.set(t.id, t)
        }
        // Departures, by id, in any order.
        for (const id of [...live.keys()]) {
          if (rng() < 0.15) {
            expect(q.remove(id)).toBe(live.get(id))
            live.delete(id)
          }
        }
        expect(q.size).toBe(live.size)
        const running = rng() < 0.5 ? { j0: 3, j2: 1, x: 2 } : undefined
        const tasks = [...live.values()]
        const expected = rankTasks(tasks, running).map((i) => tasks[i].id)
        expect(drainIds(q, running)).toEqual(expected)
        expect(drainIds(q, running)).toEqual(expected)
      }
      expect(q.remove(-1)).toBeUndefined()
    }
  })

  it('gives assign the same decisions as the array it holds', () => {
    const rng = mulberry32(9)
    for (let i = 0; i < 150; i++) {
      const { tasks, devices, fleet } = randomInstance(rng, { now: 0, maxTasks: 30, maxDevices: 8 })
      const q = new ReadyQueue()
      // Added in shuffled order, with a few extra tasks added then removed (slots get reused).
      const extra = tasks.slice(0, 3).map((t) => ({ ...t, id: t.id + 1000 }))
      for (const t of extra) q.add(t)
      for (const t of [...tasks].sort(() => rng() - 0.5)) q.add(t)
      for (const t of extra) q.remove(t.id)
      const running = { j1: 2 }
      const a = assign(tasks, devices, { now: 0, prices: DEFAULT_PRICES, fleet, running }).assignments
      const b = assign(q, devices, { now: 0, prices: DEFAULT_PRICES, fleet, running }).assignments
      expect(b).toEqual(a)
    }
  })
})
