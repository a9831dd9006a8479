/**
 * Queue order, lazily (pure): the same order as rankTasks, one task at a time.
 *
 * A dispatch with a few idle devices reads only the head of a 10,000-task queue, so sorting
 * it all (rankTasks) is wasted work. Within a job, tasks come out by priority, age, id; the
 * k-th of them ranks as share base + k, which only grows, so a job's next task never ranks
 * ahead of the one before it. One heap per job (built in linear time) and a heap of jobs
 * keyed by their head's (priority, share, age, id) therefore yield the global order in
 * O(T + k log T) for the first k tasks.
 */
import type { TaskNeed } from './match'
import { F64, f64Scratch, I32, i32Scratch } from './scratch'

export type RankedQueue = {
  /** Index of the next task in queue order, or -1 when every task has been read. */
  next(): number
}

export function rankedQueue(tasks: TaskNeed[], running: Record<string, number> = {}): RankedQueue {
  const T = tasks.length
  const prio = f64Scratch(F64.prio, T)
  const age = f64Scratch(F64.age, T)
  const id = f64Scratch(F64.id, T)
  const group = i32Scratch(I32.group, T)
  // Group 0: tasks with neither job nor owner; they share nothing (share stays 0).
  const byJob = new Map<string | number, number>()
  const byOwner = new Map<string, number>()
  const base: number[] = [0]
  for (let i = 0; i < T; i++) {
    const t = tasks[i]
    prio[i] = t.priority ?? 0
    age[i] = t.createdAt ?? 0
    id[i] = t.id
    let g = 0
    if (t.jobId !== undefined) {
      g = byJob.get(t.jobId) ?? -1
      if (g < 0) {
        g = base.length
        byJob.set(t.jobId, g)
        base.push(running[t.jobId] ?? 0)
      }
    } else if (t.owner !== undefined) {
      g = byOwner.get(t.owner) ?? -1
      if (g < 0) {
        g = base.length
        byOwner.set(t.owner, g)
        base.push(running[t.owner] ?? 0)
      }
    }
    group[i] = g
  }
  const G = base.length
  // Counting sort by group: heap g lives in heap[start[g] .. start[g] + size[g]).
  const start = new Int32Array(G + 1)
  for (let i = 0; i < T; i++) start[group[i] + 1]++
  for (let g = 0; g < G; g++) start[g + 1] += start[g]
  const size = new Int32Array(G)
  const heap = i32Scratch(I32.heap, T)
  for (let i = 0; i < T; i++) heap[start[group[i]] + size[group[i]]++] = i
  const within = (a: number, b: number) => prio[b] - prio[a] || age[a] - age[b] || id[a] - id[b]
  const siftDown = (s: number, n: number, k: number) => {
    const x = heap[s + k]
    for (;;) {
      let c = 2 * k + 1
      if (c >= n) break
      if (c + 1 < n && within(heap[s + c + 1], heap[s + c]) < 0) c++
      if (within(heap[s + c], x) >= 0) break
      heap[s + k] = heap[s + c]
      k = c
    }
    heap[s + k] = x
  }
  for (let g = 0; g < G; g++) for (let k = (size[g] >> 1) - 1; k >= 0; k--) siftDown(start[g], size[g], k)
  const taken = new Int32Array(G)
  const share = (g: number) => (g === 0 ? 0 : base[g] + taken[g])
  const ahead = (g: number, h: number) => {
    const a = heap[start[g]]
    const b = heap[start[h]]
    return prio[b] - prio[a] || share(g) - share(h) || age[a] - age[b] || id[a] - id[b]
  }
  const jobs = new Int32Array(G)
  let J = 0
  for (let g = 0; g < G; g++) if (size[g] > 0) jobs[J++] = g
  const siftJobs = (k: number) => {
    const x = jobs[k]
    for (;;) {
      let c = 2 * k + 1
      if (c >= J) break
      if (c + 1 < J && ahead(jobs[c + 1], jobs[c]) < 0) c++
      if (ahead(jobs[c], x) >= 0) break
      jobs[k] = jobs[c]
      k = c
    }
    jobs[k] = x
  }
  for (let k = (J >> 1) - 1; k >= 0; k--) siftJobs(k)
  return {
    next() {
      if (J === 0) return -1
      const g = jobs[0]
      const s = start[g]
      const ti = heap[s]
      const n = --size[g]
      heap[s] = heap[s + n]
      if (n > 0) siftDown(s, n, 0)
      taken[g]++
      // The job's key only grew (or it emptied): sift it down from the top.
      if (n === 0) jobs[0] = jobs[--J]
      siftJobs(0)
      return ti
    },
  }
}
