/**
 * Keeps built, weighted pipeline segments loaded between micro-batches: a device usually gets
 * the same stage of a job over and over, and rebuilding it (and refetching its weights) per
 * micro-batch would cost more than the forward pass. Least recently used first out, bounded by
 * an entry count and by the bytes of weights held (always keeping the newest entry).
 *
 * Entries hold the build's promise, so concurrent callers of one key build once. A model is
 * disposed when it is evicted and no caller is using it any more; a failed build is forgotten,
 * so the next call retries.
 */
import type * as tf from '@tensorflow/tfjs'

export type SegmentCacheOptions = { maxEntries?: number; maxBytes?: number }

type Entry = { model: Promise<tf.LayersModel>; built?: tf.LayersModel; bytes: number; users: number; evicted: boolean }

export class SegmentCache {
  private entries = new Map<string, Entry>()
  private readonly maxEntries: number
  private readonly maxBytes: number
  builds = 0
  hits = 0

  constructor({ maxEntries = 4, maxBytes = 512 * 1024 * 1024 }: SegmentCacheOptions = {}) {
    this.maxEntries = Math.max(1, maxEntries)
    this.maxBytes = maxBytes
  }

  /** Runs `use` with the model for `key`, building it with `build` on a miss. `bytes`: the weights it holds. */
  async with<T>(key: string, bytes: number, build: () => Promise<tf.LayersModel>, use: (model: tf.LayersModel) => Promise<T>): Promise<T> {
    let entry = this.entries.get(key)
    if (entry) {
      this.hits++
      this.entries.delete(key) // re-inserted below: Map order is the LRU order
    } else {
      this.builds++
      entry = { model: build(), bytes, users: 0, evicted: false }
      const mine = entry
      mine.model.then(
        (m) => (mine.built = m),
        () => {
          if (this.entries.get(key) === mine) this.entries.delete(key)
        },
      )
    }
    this.entries.set(key, entry)
    entry.users++
    this.evictOverflow()
    try {
      return await use(await entry.model)
    } finally {
      entry.users--
      if (entry.evicted) release(entry)
    }
  }

  get size(): number {
    return this.entries.size
  }

  /** Evicts everything (tests, or before switching backends); models in use go when their callers finish. */
  clear(): void {
    for (const [key, entry] of this.entries) this.evict(key, entry)
  }

  private evictOverflow(): void {
    let bytes = 0
    for (const e of this.entries.values()) bytes += e.bytes
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= 1 || (this.entries.size <= this.maxEntries && bytes <= this.maxBytes)) break
      bytes -= entry.bytes
      this.evict(key, entry)
    }
  }

  private evict(key: string, entry: Entry): void {
    this.entries.delete(key)
    entry.evicted = true
    release(entry)
  }
}

function release(entry: Entry): void {
  if (entry.users > 0) return
  entry.users = -1 // disposed once only
  if (entry.built) entry.built.dispose() // synchronously, so clear() frees memory before it returns
  else
    entry.model.then(
      (m) => m.dispose(),
      () => {},
    )
}
