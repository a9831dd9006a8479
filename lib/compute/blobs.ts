/**
 * Fetches a content-addressed blob (weights or a data shard) and checks it is the blob
 * the task named: length and sha256. A stale cache or a broken proxy then fails the task
 * with a clear message instead of training on the wrong bytes. `fetch` is injected, so
 * the browser worker, the headless worker and tests share this.
 */
import { NimbleError, type BlobRef } from '../protocol'

export type FetchBlobOptions = { fetch?: typeof fetch; signal?: AbortSignal }

export async function fetchBlob(ref: BlobRef, origin: string, opts: FetchBlobOptions = {}): Promise<ArrayBuffer> {
  const doFetch = opts.fetch ?? globalThis.fetch
  const url = new URL(ref.url, origin).href
  const res = await doFetch(url, { signal: opts.signal })
  if (!res.ok) throw new NimbleError({ code: 'not_found', message: `blob ${url}: HTTP ${res.status}; the coordinator may have pruned it, the task will be reassigned` })
  const buf = await res.arrayBuffer()
  if (buf.byteLength !== ref.bytes) {
    throw new NimbleError({ code: 'invalid_result', message: `blob ${url} has ${buf.byteLength} bytes, the task says ${ref.bytes}` })
  }
  const subtle = globalThis.crypto?.subtle // absent on insecure (non-https, non-localhost) pages
  if (subtle) {
    const hash = toHex(await subtle.digest('SHA-256', buf))
    if (hash !== ref.hash) throw new NimbleError({ code: 'invalid_result', message: `blob ${url} has sha256 ${hash}, the task says ${ref.hash}` })
  }
  return buf
}

function toHex(digest: ArrayBuffer): string {
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}
