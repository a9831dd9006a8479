/**
 * Content-addressed blob store: immutable files named by their sha256 under
 * `<dataDir>/blobs/ab/abcdef…`. Writes go to a temporary file then rename, so a crash
 * never leaves a half-written blob under its final name. Every read checks the bytes against
 * the name: a blob damaged on disk is refused (blob_corrupt), never served or trained on.
 * Devices fetch blobs over HTTP with immutable caching; a device that holds a blob never
 * fetches it again.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { NimbleError, type BlobRef } from '../lib/protocol'

export class BlobStore {
  constructor(readonly root: string) {
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true })
  }

  static hash(bytes: Uint8Array): string {
    return crypto.createHash('sha256').update(bytes).digest('hex')
  }

  pathOf(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`not a blob hash: ${hash.slice(0, 80)}`)
    return path.join(this.root, hash.slice(0, 2), hash)
  }

  has(hash: string): boolean {
    return fs.existsSync(this.pathOf(hash))
  }

  /** Stores the bytes (idempotent) and returns a reference devices can fetch. */
  put(data: ArrayBuffer | Uint8Array): BlobRef {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
    const hash = BlobStore.hash(bytes)
    const final = this.pathOf(hash)
    // A damaged copy under the final name is replaced by the good bytes.
    if (!fs.existsSync(final) || BlobStore.hash(fs.readFileSync(final)) !== hash) {
      fs.mkdirSync(path.dirname(final), { recursive: true })
      const tmp = path.join(this.root, 'tmp', `${hash}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`)
      const fd = fs.openSync(tmp, 'w')
      try {
        fs.writeSync(fd, bytes)
        fs.fsyncSync(fd)
      } finally {
        fs.closeSync(fd)
      }
      fs.renameSync(tmp, final)
    }
    return BlobStore.ref(hash, bytes.byteLength)
  }

  static ref(hash: string, bytes: number): BlobRef {
    return { hash, bytes, url: `/api/blobs/${hash}` }
  }

  /** The blob's bytes, checked against its hash. */
  read(hash: string): Buffer {
    const bytes = fs.readFileSync(this.pathOf(hash))
    if (BlobStore.hash(bytes) !== hash) {
      throw new NimbleError({ code: 'blob_corrupt', message: `blob ${hash} is damaged on disk (its bytes no longer match its hash); restore it from a backup` })
    }
    return bytes
  }

  /** An ArrayBuffer copy suitable for tensor unpacking. */
  readArrayBuffer(hash: string): ArrayBuffer {
    const b = this.read(hash)
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer
  }

  size(hash: string): number {
    return fs.statSync(this.pathOf(hash)).size
  }
}
