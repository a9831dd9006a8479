/**
 * Reused typed arrays for assign's per-call state (pure: no I/O, module memory only).
 * A dispatch over a 10,000-task queue needs about 1 MB of per-task arrays; allocating them
 * on every call drove V8 into a scavenge every few calls ("external memory pressure"), which
 * set the p99. assign is synchronous, so one set per slot is safe; `generation` tells a lazy
 * reader (explanations) that a later call has reused its arrays.
 */
const f64: Float64Array[] = []
const i32: Int32Array[] = []

export const scratch = { generation: 0 }

/** A Float64Array of at least n entries for `slot`; contents are left over from earlier calls. */
export function f64Scratch(slot: number, n: number): Float64Array {
  const b = f64[slot]
  if (b && b.length >= n) return b
  return (f64[slot] = new Float64Array(Math.max(n, 2 * (b?.length ?? 0), 256)))
}

/** An Int32Array of at least n entries for `slot`; contents are left over from earlier calls. */
export function i32Scratch(slot: number, n: number): Int32Array {
  const b = i32[slot]
  if (b && b.length >= n) return b
  return (i32[slot] = new Int32Array(Math.max(n, 2 * (b?.length ?? 0), 256)))
}

/** Slots, one per array that lives through a call. */
export const F64 = { prio: 0, age: 1, id: 2, slack: 3, refCost: 4, flops: 5, bytes: 6, need: 7, blobBytes: 8 } as const
export const I32 = { group: 0, heap: 1, backendMask: 2, only: 3, resolved: 4, served: 5, placed: 10, avoid: 15 } as const
