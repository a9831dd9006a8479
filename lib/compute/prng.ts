/**
 * Seeded randomness for reproducible tasks: the same seed gives the same batch order
 * on every device and backend (Math.random would not).
 */

/** mulberry32: a small, fast 32-bit generator; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A Fisher-Yates permutation of 0..n-1 drawn from `rand`. */
export function permutation(n: number, rand: () => number): Int32Array {
  const p = new Int32Array(n)
  for (let i = 0; i < n; i++) p[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const tmp = p[i]
    p[i] = p[j]
    p[j] = tmp
  }
  return p
}

/** Per-layer initializer seed: distinct layers must not draw the same random stream. */
export function layerSeed(seed: number, layerIndex: number): number {
  return (Math.imul(seed | 0, 0x9e3779b1) + 7919 * (layerIndex + 1)) >>> 0
}
