import { describe, expect, it } from 'vitest'
import type { TaskNeed } from './match'
import { rankTasks } from './rank'

const t = (id: number, extra: Partial<TaskNeed> = {}): TaskNeed => ({ id, memoryBytes: 1, flops: 1, ...extra })
const ids = (tasks: TaskNeed[], running?: Record<string, number>) => rankTasks(tasks, running).map((i) => tasks[i].id)

describe('rankTasks', () => {
  it('round-robins jobs, fewest running first, oldest first within a job', () => {
    const tasks = [t(1, { jobId: 'A', createdAt: 1 }), t(2, { jobId: 'A', createdAt: 2 }), t(3, { jobId: 'A', createdAt: 3 }), t(4, { jobId: 'B', createdAt: 9 }), t(5, { jobId: 'B', createdAt: 10 })]
    expect(ids(tasks)).toEqual([1, 4, 2, 5, 3])
    expect(ids(tasks, { A: 2 })).toEqual([4, 5, 1, 2, 3])
  })

  it('puts priority first and falls back to owner, then id, when there is no job or age', () => {
    const tasks = [t(3, { owner: 'x' }), t(1, { owner: 'x' }), t(2, { owner: 'y' }), t(9, { priority: 1, owner: 'x' })]
    expect(ids(tasks)).toEqual([9, 2, 1, 3])
    expect(ids(tasks, { y: 3 })).toEqual([9, 1, 3, 2])
  })
})
