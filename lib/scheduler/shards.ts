/**
 * Data-parallel rounds (pure): how many rows each device gets so that all finish
 * together, and when a running task is slow enough to deserve a spare copy.
 */

/**
 * Rows per device, proportional to measured speed, rounded by largest remainder so they
 * sum to `rows`. A device whose share would be under `minRows` is dropped (slowest first):
 * topping it up would make it the round's straggler. Devices without a measured speed are
 * dropped unless none has one, then all count as equal. Returned in input order.
 */
export function shardSizes(rows: number, devices: { id: string; gflops: number }[], minRows = 1): { id: string; rows: number }[] {
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`shardSizes: rows must be a whole number >= 0, got ${rows}`)
  if (rows === 0 || devices.length === 0) return []
  const min = Math.max(1, Math.ceil(minRows))
  const measured = devices.some((d) => d.gflops > 0)
  const speed = (d: { gflops: number }) => (measured ? Math.max(0, d.gflops) : 1)
  // Fastest first; ties by id so the result does not depend on input order.
  let active = devices
    .map((d, i) => ({ i, id: d.id, gflops: d.gflops }))
    .filter((d) => speed(d) > 0)
    .sort((a, b) => speed(b) - speed(a) || a.id.localeCompare(b.id) || a.i - b.i)
  let total = active.reduce((s, d) => s + speed(d), 0)
  while (active.length > 1 && (rows * speed(active[active.length - 1])) / total < min) {
    total -= speed(active.pop()!)
  }
  // Fewer rows than one device's minimum: the fastest takes them all.
  if (rows < min) active = active.slice(0, 1)
  const quota = active.map((d) => (rows * speed(d)) / total)
  const out = quota.map(Math.floor)
  let left = rows - out.reduce((s, x) => s + x, 0)
  const byRemainder = quota.map((q, i) => i).sort((a, b) => quota[b] - out[b] - (quota[a] - out[a]) || a - b)
  for (const i of byRemainder) {
    if (left === 0) break
    out[i]++
    left--
  }
  return active.map((d, k) => ({ i: d.i, id: d.id, rows: out[k] })).sort((a, b) => a.i - b.i).map(({ id, rows }) => ({ id, rows }))
}

/**
 * Whether a running task deserves a spare copy: it has run `factor` times its expected
 * time and at least `minMs` (short tasks jitter too much to judge). A task with no finite
 * expectation is left to its lease deadline.
 */
export function straggler(expectedMs: number, startedAt: number, now: number, factor = 2, minMs = 2000): boolean {
  if (!Number.isFinite(expectedMs)) return false
  return now - startedAt > Math.max(factor * expectedMs, minMs)
}
