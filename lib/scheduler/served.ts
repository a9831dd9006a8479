/**
 * Who gets served (pure). The sets of tasks that can all be placed at once (one task
 * per idle device) form a transversal matroid, so taking tasks in queue order and keeping
 * each one whose addition still has a matching (Kuhn's augmenting path) serves the most
 * tasks possible, and among those the best by queue order, component by component.
 */
import type { Problem } from './problem'

/** Device -> task matching that augment() grows; owner -1 is free. `free` lists free devices (first `freeCount`). */
export type Matching = { owner: Int32Array; deviceOf: Int32Array; stamp: Int32Array; round: number; free: Int32Array; at: Int32Array; freeCount: number }

export function emptyMatching(tasks: number, devices: number): Matching {
  const free = Int32Array.from({ length: devices }, (_, j) => j)
  return { owner: new Int32Array(devices).fill(-1), deviceOf: new Int32Array(tasks).fill(-1), stamp: new Int32Array(devices), round: 0, free, at: free.slice(), freeCount: devices }
}

/** Gives device dj to task ti, keeping the free list in step. */
export function take(m: Matching, ti: number, dj: number): void {
  if (m.owner[dj] < 0) {
    const k = m.at[dj]
    const last = m.free[--m.freeCount]
    m.free[k] = last
    m.at[last] = k
  }
  m.owner[dj] = ti
  m.deviceOf[ti] = dj
}

/** Frees device dj (and its task). */
export function release(m: Matching, dj: number): void {
  const ti = m.owner[dj]
  if (ti < 0) return
  m.deviceOf[ti] = -1
  m.owner[dj] = -1
  m.at[dj] = m.freeCount
  m.free[m.freeCount++] = dj
}

/** Places task ti: on a free device it fits, else by moving placed tasks along an augmenting path. */
export function augment(p: Problem, m: Matching, ti: number): boolean {
  for (let k = 0; k < m.freeCount; k++) {
    if (p.ms(ti, m.free[k]) !== Infinity) {
      take(m, ti, m.free[k])
      return true
    }
  }
  m.round++
  return dfs(p, m, ti)
}

function dfs(p: Problem, m: Matching, ti: number): boolean {
  for (let dj = 0; dj < p.devices.length; dj++) {
    if (m.stamp[dj] === m.round || p.ms(ti, dj) === Infinity) continue
    m.stamp[dj] = m.round
    const holder = m.owner[dj]
    if (holder < 0 || dfs(p, m, holder)) {
      take(m, ti, dj)
      return true
    }
  }
  return false
}

/** Tasks served this call, in queue order. Looks at the first `maxTasks` of `order` only. */
export function servedTasks(p: Problem, order: number[], maxTasks: number): number[] {
  const m = emptyMatching(p.tasks.length, p.devices.length)
  const served: number[] = []
  for (let k = 0; k < order.length && k < maxTasks && served.length < p.devices.length; k++) {
    if (augment(p, m, order[k])) served.push(order[k])
  }
  return served
}
