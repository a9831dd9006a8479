/**
 * Task-scoped blob tokens: a device may fetch only the blobs of the tasks it currently holds.
 * Each blob URL in a task message carries `?t=<instanceId>.<expiry>.<hmac>`; the HMAC (server
 * secret) binds the lease, the expiry and the blob hash, and the blob route also checks that the
 * lease is still held. A token leaked to anyone else stops working when the lease ends.
 */
import crypto from 'node:crypto'
import type { BlobRef, Task } from '../lib/protocol'

function mac(secret: Buffer, instanceId: number, exp: number, hash: string): string {
  return crypto.createHmac('sha256', secret).update(`${instanceId}.${exp}.${hash}`).digest('base64url').slice(0, 32)
}

export function blobToken(secret: Buffer, instanceId: number, exp: number, hash: string): string {
  return `${instanceId}.${exp}.${mac(secret, instanceId, exp, hash)}`
}

/** The lease a token names, if the token is well formed, signed for this blob and not expired. */
export function checkBlobToken(secret: Buffer, token: string, hash: string, now: number): { instanceId: number } | null {
  const m = /^(\d{1,15})\.(\d{1,15})\.([A-Za-z0-9_-]{32})$/.exec(token)
  if (!m) return null
  const instanceId = Number(m[1])
  const exp = Number(m[2])
  if (exp < now) return null
  const want = Buffer.from(mac(secret, instanceId, exp, hash))
  const got = Buffer.from(m[3])
  return want.length === got.length && crypto.timingSafeEqual(want, got) ? { instanceId } : null
}

function signRef(ref: BlobRef, secret: Buffer, instanceId: number, exp: number): BlobRef {
  const base = ref.url.split('?')[0]
  return { ...ref, url: `${base}?t=${blobToken(secret, instanceId, exp, ref.hash)}` }
}

/** The task with every blob URL carrying a token for its lease, valid until `exp`. */
export function signTaskBlobs<T extends Task>(task: T, secret: Buffer, exp: number): T {
  const sign = (r: BlobRef) => signRef(r, secret, task.instanceId, exp)
  const t = { ...task } as Record<string, unknown>
  for (const k of ['data', 'input', 'gradient', 'labels']) if (t[k]) t[k] = sign(t[k] as BlobRef)
  if (Array.isArray(t.weights)) t.weights = (t.weights as { layer: number; ref: BlobRef }[]).map((w) => ({ ...w, ref: sign(w.ref) }))
  else if (t.weights) t.weights = sign(t.weights as BlobRef)
  return t as T
}
