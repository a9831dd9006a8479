/**
 * Where the served tasks go (pure): least total cost, fewest late tasks first.
 *
 * Tasks are placed in windows of at most `window` (largest FLOPs first, since they gain
 * most from a cheap fast device). Each window is solved exactly by the Hungarian method
 * over the devices still free, restricted to each task's n cheapest free devices: an
 * optimal placement of n tasks never needs a task's (n+1)-th choice, since one of its first
 * n is always free to swap to. So when all served tasks fit in one window (the default
 * 64 covers every call up to 64 idle devices) the result is the exact optimum. Larger
 * calls narrow each task to its 8 cheapest free devices and then run three improvement
 * passes (improve below); on a 2,000-task x 1,000-device instance that reached the exact
 * late count and cost within ~3% of a full Hungarian solve, ~20x faster. A task its window
 * could not place (every device it fits went to a window-mate) is placed by an augmenting
 * path, which exists because the served set has a matching.
 */
import { hungarian } from './hungarian'
import { selectSmallest } from './select'
import type { Problem } from './problem'
import { I32 } from './scratch'
import { augment, emptyMatching, release, take, type Matching } from './served'

export function placeServed(p: Problem, served: number[], window: number): Matching {
  const m = emptyMatching(p.tasks.length, p.devices.length, I32.placed)
  if (served.length > 1 && alike(p, served)) {
    placeAlike(p, m, served)
    return m
  }
  const rank = new Map(served.map((ti, k) => [ti, k]))
  const order = [...served].sort((a, b) => p.tasks[b].flops - p.tasks[a].flops || rank.get(a)! - rank.get(b)!)
  const inCols = new Int32Array(p.devices.length).fill(-1)
  for (let start = 0; start < order.length; start += window) {
    const rows = order.slice(start, start + window)
    // One window: each task's n cheapest keeps it exact. Several: 8 each keeps the Hungarian narrow.
    const perTask = order.length <= window ? rows.length : Math.min(rows.length, WIDE_CANDIDATES)
    const cols = candidateColumns(p, m, rows, perTask, inCols, start)
    const placed = solveWindow(p, m, rows, cols)
    for (const ti of rows) if (!placed.has(ti)) augment(p, m, ti)
  }
  if (order.length > window) improve(p, m, order, window)
  return m
}

/** Whether every served task is alike (Problem.classKey): one row of costs serves them all. */
function alike(p: Problem, served: number[]): boolean {
  const k = p.classKey(served[0])
  for (let i = 1; i < served.length; i++) if (p.classKey(served[i]) !== k) return false
  return true
}

/**
 * Alike tasks (the common case at scale: shards of one job whose data no device holds yet)
 * cost the same on a given device, so the exact optimum is the served count's cheapest
 * fitting devices, on-time ones first: one sort of the devices, not windows of Hungarian
 * solves. Ties go to the lower device index; tasks take devices in served order.
 */
function placeAlike(p: Problem, m: Matching, served: number[]): void {
  const ti = served[0]
  const cols: number[] = []
  const cost = new Float64Array(p.devices.length)
  const late = new Uint8Array(p.devices.length)
  for (let dj = 0; dj < p.devices.length; dj++) {
    const ms = p.ms(ti, dj)
    if (ms === Infinity) continue
    cost[dj] = ms * p.pricePerMs[dj]
    late[dj] = ms > p.slack[ti] ? 1 : 0
    cols.push(dj)
  }
  cols.sort((a, b) => late[a] - late[b] || cost[a] - cost[b] || a - b)
  // servedTasks found a matching for all of them, so there are at least as many fitting devices.
  for (let k = 0; k < Math.min(served.length, cols.length); k++) take(m, served[k], cols[k])
}

/**
 * Large-neighbourhood passes: re-solve groups of placed tasks exactly over the devices
 * they hold plus their cheapest free ones. The current placement is one candidate, so a
 * pass never makes the result worse. Groups are strided through orders by size and by
 * deadline, so each mixes tasks that compete for the same devices across first-pass windows.
 */
function improve(p: Problem, m: Matching, bySize: number[], window: number): void {
  const bySlack = [...bySize].sort((a, b) => p.slack[a] - p.slack[b] || p.tasks[b].flops - p.tasks[a].flops)
  const inCols = new Int32Array(p.devices.length).fill(-1)
  let tag = 0
  for (const list of [bySize, bySlack, bySize]) {
    const groups = Math.ceil(list.length / window)
    for (let g = 0; g < groups; g++) {
      const rows: number[] = []
      for (let k = g; k < list.length; k += groups) rows.push(list[k])
      const held = rows.map((ti) => m.deviceOf[ti])
      const cols = candidateColumns(p, m, rows, Math.min(rows.length, WIDE_CANDIDATES), inCols, ++tag)
      for (const dj of held) {
        if (inCols[dj] !== tag) cols.push(dj)
        release(m, dj)
      }
      const placed = solveWindow(p, m, rows, cols)
      for (const ti of rows) if (!placed.has(ti)) augment(p, m, ti)
    }
  }
}

const WIDE_CANDIDATES = 8

/** Union of each row's n cheapest free devices, on-time ones before late ones. */
function candidateColumns(p: Problem, m: Matching, rows: number[], n: number, inCols: Int32Array, tag: number): number[] {
  const cols: number[] = []
  const key = new Float64Array(m.freeCount)
  const idx = new Int32Array(m.freeCount)
  for (const ti of rows) {
    // On-time devices first: a late one's key is its cost plus more than any on-time cost.
    let count = 0
    let maxCost = 0
    for (let f = 0; f < m.freeCount; f++) {
      const dj = m.free[f]
      const ms = p.ms(ti, dj)
      if (ms === Infinity) continue
      const cost = ms * p.pricePerMs[dj]
      key[count] = ms > p.slack[ti] ? -1 - cost : cost
      idx[count++] = dj
      if (cost > maxCost) maxCost = cost
    }
    for (let i = 0; i < count; i++) if (key[i] < 0) key[i] = 2 * maxCost + 1 + (-1 - key[i])
    if (count > n) selectSmallest(key, idx, count, n)
    for (let i = 0; i < Math.min(n, count); i++) {
      if (inCols[idx[i]] !== tag) {
        inCols[idx[i]] = tag
        cols.push(idx[i])
      }
    }
  }
  return cols
}

/** Exact min (late count, cost) placement of rows onto cols; returns the rows it placed. */
function solveWindow(p: Problem, m: Matching, rows: number[], cols: number[]): Set<number> {
  const n = rows.length
  const width = Math.max(cols.length, n) // dummy columns let a row stay unplaced
  const cost = new Float64Array(n * width)
  const late = new Uint8Array(n * width)
  const ok = new Uint8Array(n * width)
  let sumMax = 0
  let anyLate = false
  for (let r = 0; r < n; r++) {
    let rowMax = 0
    for (let c = 0; c < cols.length; c++) {
      const ms = p.ms(rows[r], cols[c])
      if (ms === Infinity) continue
      const x = ms * p.pricePerMs[cols[c]]
      cost[r * width + c] = x
      ok[r * width + c] = 1
      if (ms > p.slack[rows[r]]) {
        late[r * width + c] = 1
        anyLate = true
      }
      if (x > rowMax) rowMax = x
    }
    sumMax += rowMax
  }
  // One more late task must outweigh any saving in cost, one more unplaced task anything.
  const LATE = anyLate ? sumMax + 1 : 0
  const NONE = (n + 1) * (LATE + sumMax + 1)
  for (let i = 0; i < n * width; i++) cost[i] = ok[i] ? cost[i] + (late[i] ? LATE : 0) : NONE
  const rowToCol = hungarian(cost, n, width)
  const placed = new Set<number>()
  for (let r = 0; r < n; r++) {
    const c = rowToCol[r]
    if (c < 0 || !ok[r * width + c]) continue
    take(m, rows[r], cols[c])
    placed.add(rows[r])
  }
  return placed
}
