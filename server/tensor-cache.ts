/** Unpacked tensor packs by blob hash, kept in memory up to a byte budget (least recently used goes first). */
import { unpackTensors, type NamedTensor } from '../lib/protocol'
import type { BlobStore } from './blobs'

export class TensorCache {
  private entries = new Map<string, { tensors: NamedTensor[]; bytes: number }>()
  private bytes = 0

  constructor(
    private blobs: BlobStore,
    private budget = 256 * 1024 * 1024,
  ) {}

  get(hash: string): NamedTensor[] {
    const hit = this.entries.get(hash)
    if (hit) {
      this.entries.delete(hash)
      this.entries.set(hash, hit)
      return hit.tensors
    }
    const buf = this.blobs.readArrayBuffer(hash)
    const tensors = unpackTensors(buf)
    const entry = { tensors, bytes: buf.byteLength }
    this.entries.set(hash, entry)
    this.bytes += entry.bytes
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.budget || k === hash) break
      this.entries.delete(k)
      this.bytes -= v.bytes
    }
    return tensors
  }

  /** The tensor called `name` in the pack, or an error naming what is missing. */
  tensor(hash: string, name: string): NamedTensor {
    const t = this.get(hash).find((x) => x.name === name)
    if (!t) throw new Error(`blob ${hash.slice(0, 12)} has no tensor ${name}`)
    return t
  }
}
