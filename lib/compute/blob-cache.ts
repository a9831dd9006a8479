/**
 * Content-addressed blobs a device already holds, kept in memory up to a byte budget
 * (least recently used first out). A data shard is usually the same from round to round,
 * so a device fetches it once per job instead of once per task. Safe because a blob's
 * name is its sha256: a cached blob can never be stale.
 */
import type { BlobRef } from '../protocol'

export class BlobCache {
  private entries = new Map<string, ArrayBuffer>()
  private bytes = 0
  hits = 0
  misses = 0

  constructor(private budget = 256 * 1024 * 1024) {}

  /** The blob from the cache, or from `load` (then kept). Callers get a copy they may transfer or detach. */
  async get(ref: BlobRef, load: () => Promise<ArrayBuffer>): Promise<ArrayBuffer> {
    const hit = this.entries.get(ref.hash)
    if (hit) {
      this.hits++
      this.entries.delete(ref.hash)
      this.entries.set(ref.hash, hit)
      return hit.slice(0)
    }
    this.misses++
    const buf = await load()
    if (buf.byteLength <= this.budget) {
      this.entries.set(ref.hash, buf.slice(0))
      this.bytes += buf.byteLength
      for (const [k, v] of this.entries) {
        if (this.bytes <= this.budget) break
        this.entries.delete(k)
        this.bytes -= v.byteLength
      }
    }
    return buf
  }

  get size(): number {
    return this.bytes
  }
}
