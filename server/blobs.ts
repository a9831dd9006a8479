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

/** How many blob names `put` remembers as intact on disk (64 hex characters each: about 10 MB). */
const KNOWN_MAX = 50_000

export class BlobStore {
  /** Files written but not yet flushed to disk (`syncLater`), and the first flush that failed. */
  private syncing = new Set<Promise<void>>()
  private syncError: unknown = null
  /** Fan-out directories (at most 256) known to exist: not made again for every blob. */
  private dirs = new Set<string>()
  /**
   * Blobs this process wrote or found intact under their final name, in the order first seen
   * (at most KNOWN_MAX: the oldest goes first). Storing one of them again is free: no stat, read and hash of the file, which
   * was a tenth of the coordinator's time when many devices return the same result. Blobs are
   * never deleted, so a name once intact stays so (short of the disk itself failing: every
   * read still checks the bytes).
   */
  private known = new Set<string>()

  /**
   * `syncLater` (the coordinator under NIMBLE_DB_SYNC=group): a new blob is flushed to disk in
   * the background, and `synced()` waits for it. The database's own flush waits for `synced()`
   * first, so a blob reaches the disk no later than the rows that name it. Without it every put
   * flushes before it returns (an fsync per result had halved bench:load with distinct results).
   */
  constructor(
    readonly root: string,
    private readonly syncLater = false,
  ) {
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true })
  }

  /** Resolves once every blob stored so far is on disk; rejects if flushing one failed. */
  async synced(): Promise<void> {
    await Promise.all([...this.syncing])
    const e = this.syncError
    this.syncError = null
    if (e) throw e
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
    if (this.known.has(hash)) return BlobStore.ref(hash, bytes.byteLength)
    const final = this.pathOf(hash)
    // A damaged copy under the final name is replaced by the good bytes.
    if (!fs.existsSync(final) || BlobStore.hash(fs.readFileSync(final)) !== hash) {
      const dir = path.dirname(final)
      if (!this.dirs.has(dir)) {
        fs.mkdirSync(dir, { recursive: true })
        this.dirs.add(dir)
      }
      const tmp = path.join(this.root, 'tmp', `${hash}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`)
      const fd = fs.openSync(tmp, 'w')
      try {
        fs.writeSync(fd, bytes)
        if (!this.syncLater) fs.fsyncSync(fd)
      } finally {
        fs.closeSync(fd)
      }
      fs.renameSync(tmp, final)
      if (this.syncLater) this.flushLater(final)
    }
    this.known.add(hash)
    if (this.known.size > KNOWN_MAX) this.known.delete(this.known.values().next().value!)
    return BlobStore.ref(hash, bytes.byteLength)
  }

  /** fsync in libuv's thread pool: the event loop goes on meanwhile. */
  private flushLater(file: string): void {
    const p = fs.promises
      .open(file, 'r')
      .then((h) => h.sync().finally(() => h.close()))
      .catch((e) => {
        this.syncError ??= e
      })
      .finally(() => this.syncing.delete(p))
    this.syncing.add(p)
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
