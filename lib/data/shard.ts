/**
 * Cuts training rows into shards, one per task, and gathers rows of a matrix.
 * Shards are contiguous ranges over an already shuffled index list (see split.ts),
 * as even as possible, and never empty.
 */
import { NimbleError } from '../protocol'

export type ShardRange = { start: number; end: number }

/** k contiguous ranges over 0..n (end exclusive), sizes differing by at most one. k is clamped to [1, n]; n = 0 gives no shards. */
export function shardRanges(n: number, k: number): ShardRange[] {
  if (!Number.isInteger(n) || n < 0) {
    throw new NimbleError({ code: 'bad_request', message: `Cannot shard ${n} rows: the count must be a non-negative integer.`, field: 'n' })
  }
  if (!Number.isInteger(k) || k < 1) {
    throw new NimbleError({ code: 'bad_request', message: `The number of shards must be a positive integer, got ${k}.`, field: 'k' })
  }
  const shards = Math.min(k, n)
  const base = Math.floor(n / Math.max(shards, 1))
  const larger = n - base * shards
  const ranges: ShardRange[] = []
  let start = 0
  for (let s = 0; s < shards; s++) {
    const end = start + base + (s < larger ? 1 : 0)
    ranges.push({ start, end })
    start = end
  }
  return ranges
}

/** The rows `indices` of a row-major matrix of the given width, in that order. */
export function takeRows(x: Float32Array, width: number, indices: ArrayLike<number>): Float32Array {
  if (!Number.isInteger(width) || width < 1 || x.length % width !== 0) {
    throw new NimbleError({ code: 'bad_request', message: `A matrix of ${x.length} values cannot have rows of width ${width}.`, field: 'width' })
  }
  const rows = x.length / width
  const out = new Float32Array(indices.length * width)
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!
    if (!Number.isInteger(r) || r < 0 || r >= rows) {
      throw new NimbleError({ code: 'bad_request', message: `Row index ${r} is outside the matrix's ${rows} rows.`, field: 'indices' })
    }
    out.set(x.subarray(r * width, (r + 1) * width), i * width)
  }
  return out
}
