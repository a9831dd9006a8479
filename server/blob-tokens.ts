/**
 * Task-scoped blob tokens: a device may fetch only the blobs of the tasks it currently holds.
 * Every blob URL in a task message carries the same `?t=<instanceId>.<expiry>.<hmac>`: the HMAC
 * (server secret) binds the lease and the expiry, and the blob route checks that the lease is
 * still held and that its task names the blob. A token leaked to anyone else stops working when
 * the lease ends, and never opens a blob its task does not name.
 *
 * One HMAC per task, not one per blob URL: signing was about 6% of the coordinator's main-thread
 * CPU under bench:load with two (creating the HMAC object is most of its cost).
 */
import crypto from 'node:crypto'
import type { BlobRef, Task } from '../lib/protocol'

function mac(secret: Buffer, instanceId: number, exp: number): string {
  return crypto.createHmac('sha256', secret).update(`${instanceId}.${exp}`).digest('base64url').slice(0, 32)
}

/** The token of one lease, valid until `exp` (ms since the epoch). */
export function taskToken(secret: Buffer, instanceId: number, exp: number): string {
  return `${instanceId}.${exp}.${mac(secret, instanceId, exp)}`
}

/** The lease a token names, if the token is well formed, signed by this secret and not expired. */
export function checkTaskToken(secret: Buffer, token: string, now: number): { instanceId: number } | null {
  const m = /^(\d{1,15})\.(\d{1,15})\.([A-Za-z0-9_-]{32})$/.exec(token)
  if (!m) return null
  const instanceId = Number(m[1])
  const exp = Number(m[2])
  if (exp < now) return null
  const want = Buffer.from(mac(secret, instanceId, exp))
  const got = Buffer.from(m[3])
  return want.length === got.length && crypto.timingSafeEqual(want, got) ? { instanceId } : null
}

/** The fields of a task (and of its payload: a task message copies them) that name blobs. */
const REF_KEYS = ['data', 'input', 'gradient', 'labels'] as const

/** A copy of the task (message or payload) with every blob ref it names replaced by `f(ref)`, in a fixed order. */
function mapRefs<T extends object>(task: T, f: (ref: BlobRef) => BlobRef): T {
  const t = { ...task } as Record<string, unknown>
  for (const k of REF_KEYS) if (t[k]) t[k] = f(t[k] as BlobRef)
  if (Array.isArray(t.weights)) t.weights = (t.weights as { layer: number; ref: BlobRef }[]).map((w) => ({ ...w, ref: f(w.ref) }))
  else if (t.weights) t.weights = f(t.weights as BlobRef)
  return t as T
}

/** Every blob a task message or task payload names. */
export function blobRefs(task: object): BlobRef[] {
  const out: BlobRef[] = []
  mapRefs(task, (r) => (out.push(r), r))
  return out
}

function withToken(ref: BlobRef, query: string): BlobRef {
  const q = ref.url.indexOf('?')
  return { ...ref, url: (q < 0 ? ref.url : ref.url.slice(0, q)) + query }
}

/** The task with every blob URL carrying its lease's token, valid until `exp`. */
export function signTaskBlobs<T extends Task>(task: T, secret: Buffer, exp: number): T {
  const query = `?t=${taskToken(secret, task.instanceId, exp)}`
  return mapRefs(task, (r) => withToken(r, query))
}
