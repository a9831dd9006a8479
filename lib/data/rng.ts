/**
 * Seeded randomness for the pure core. lib/ never calls Math.random: a job's seed
 * goes in, so shuffles and splits are the same on the coordinator, on every device
 * and in tests.
 */
import { NimbleError } from '../protocol'

/** A generator of floats in [0, 1). */
export type Rng = () => number

/**
 * mulberry32: 32 bits of state, fast, good enough for shuffling (not for secrets).
 * The seed is reduced to 32 bits (`seed >>> 0`), so negative and large integer seeds work.
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) {
    throw new NimbleError({ code: 'bad_request', message: `The seed must be a finite number, got ${seed}.`, field: 'seed' })
  }
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Shuffles `indices` in place with Fisher–Yates, drawing from `rng`. */
export function shuffleInPlace(indices: Uint32Array, rng: Rng): Uint32Array {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const tmp = indices[i]!
    indices[i] = indices[j]!
    indices[j] = tmp
  }
  return indices
}

/** A permutation of 0..n-1, the same for the same seed. */
export function shuffleIndices(n: number, seed: number): Uint32Array {
  if (!Number.isInteger(n) || n < 0) {
    throw new NimbleError({ code: 'bad_request', message: `Cannot shuffle ${n} rows: the count must be a non-negative integer.`, field: 'n' })
  }
  const indices = new Uint32Array(n)
  for (let i = 0; i < n; i++) indices[i] = i
  return shuffleInPlace(indices, createRng(seed))
}
