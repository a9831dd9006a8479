/**
 * Who gets served (pure). The sets of tasks that can all be placed at once (one task
 * per idle device) form a transversal matroid, so taking tasks in queue order and keeping
 * each one whose addition still has a matching (Kuhn's augmenting path) serves the most
 * tasks possible, and among those the best by queue order, component by component.
 */
import type { Problem } from './problem'
import type { RankedQueue } from './queue'
import { I32, i32Scratch } from './scratch'

/** Device -> task matching that augment() grows; owner -1 is free. `free` lists free devices (first `freeCount`). */
export type Matching = { owner: Int32Array; deviceOf: Int32Array; stamp: Int32Array; round: number; free: Int32Array; at: Int32Array; freeCount: number }

/** A matching with nothing placed, in scratch slots base .. base + 4 (see scratch.ts). */
export function emptyMatching(tasks: number, devices: number, base: number): Matching {
  const owner = i32Scratch(base, devices).fill(-1, 0, devices)
  const deviceOf = i32Scratch(base + 1, tasks).fill(-1, 0, tasks)
  const stamp = i32Scratch(base + 2, devices).fill(0, 0, devices)
  const free = i32Scratch(base + 3, devices)
  const at = i32Scratch(base + 4, devices)
  for (let j = 0; j < devices; j++) free[j] = at[j] = j
  return { owner, deviceOf, stamp, round: 0, free, at, freeCount: devices }
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

export type ServeLimits = {
  /** Most queued tasks that fit an idle device looked at (tasks fitting none are skipped, not counted). */
  maxTasks: number
  /** Most queued tasks read in all, so an idle device that fits nothing costs bounded time. */
  maxScan: number
  /** Whether task ti's job and owner are under quota; told of each task served. */
  quota?: { allows(ti: number): boolean; take(ti: number): void }
}

/** Tasks served this call, in queue order, read lazily from the head of the queue. */
export function servedTasks(p: Problem, queue: RankedQueue, lim: ServeLimits): number[] {
  const m = emptyMatching(p.tasks.length, p.devices.length, I32.served)
  const served: number[] = []
  let looked = 0
  for (let read = 0; read < lim.maxScan && looked < lim.maxTasks && served.length < p.devices.length; read++) {
    const ti = queue.next()
    if (ti < 0) break
    if (lim.quota && !lim.quota.allows(ti)) continue
    if (augment(p, m, ti)) {
      served.push(ti)
      lim.quota?.take(ti)
      looked++
    } else if (fitsAny(p, ti)) looked++
  }
  return served
}

function fitsAny(p: Problem, ti: number): boolean {
  for (let dj = 0; dj < p.devices.length; dj++) if (p.ms(ti, dj) !== Infinity) return true
  return false
}
