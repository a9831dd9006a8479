import { describe, expect, it } from 'vitest'
import type { TaskNeed } from './match'
import { rankedQueue } from './queue'
import { mulberry32, randomInstance } from './random'
import { rankTasks } from './rank'

const drain = (tasks: TaskNeed[], running?: Record<string, number>) => {
  const q = rankedQueue(tasks, running)
  const out: number[] = []
  for (let ti = q.next(); ti >= 0; ti = q.next()) out.push(ti)
  return out
}

describe('rankedQueue', () => {
  it('yields exactly rankTasks order on random queues, with and without running counts', () => {
    const rng = mulberry32(11)
    for (let i = 0; i < 200; i++) {
      const { tasks } = randomInstance(rng, { now: 0, maxTasks: 60, maxDevices: 2 })
      // Some tasks without a job, some with only an owner, to cover every group kind.
      for (const t of tasks) {
        const r = rng()
        if (r < 0.2) delete t.jobId
        if (r < 0.1) t.owner = rng() < 0.5 ? 'x' : 'y'
      }
      const running = rng() < 0.5 ? { j0: 3, j2: 1, x: 2 } : undefined
      expect(drain(tasks, running)).toEqual(rankTasks(tasks, running))
    }
  })

  it('returns -1 once empty', () => {
    expect(rankedQueue([], {}).next()).toBe(-1)
  })
})
