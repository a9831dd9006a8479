import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { blobRefs, checkTaskToken, signTaskBlobs, taskToken } from './blob-tokens'
import type { Task } from '../lib/protocol'

const secret = Buffer.from('0123456789abcdef0123456789abcdef')
const h1 = 'a'.repeat(64)
const h2 = 'b'.repeat(64)

describe('blob tokens', () => {
  it('accept their own lease until expiry only', () => {
    const t = taskToken(secret, 42, 1000)
    expect(checkTaskToken(secret, t, 999)).toEqual({ instanceId: 42 })
    expect(checkTaskToken(secret, t, 1001)).toBeNull()
    expect(checkTaskToken(Buffer.from('x'.repeat(32)), t, 999)).toBeNull()
    // Moving the token to another lease or a later expiry breaks the signature.
    expect(checkTaskToken(secret, t.replace(/^42\./, '43.'), 999)).toBeNull()
    expect(checkTaskToken(secret, t.replace('.1000.', '.9999.'), 999)).toBeNull()
  })
  it('sign every blob URL of a task with its lease, and name the blobs the route may serve', () => {
    const ref = (h: string) => ({ hash: h, bytes: 8, url: `/api/blobs/${h}` })
    const task = { kind: 'stage', instanceId: 7, input: ref(h1), gradient: ref(h2), weights: [{ layer: 0, ref: ref('c'.repeat(64)) }] } as unknown as Task
    const signed = signTaskBlobs(task, secret, 5000) as unknown as Record<string, { url: string }> & { weights: { ref: { url: string } }[] }
    const token = taskToken(secret, 7, 5000)
    expect(signed.input.url).toBe(`/api/blobs/${h1}?t=${token}`)
    expect(signed.gradient.url).toBe(`/api/blobs/${h2}?t=${token}`)
    expect(signed.weights[0].ref.url).toBe(`/api/blobs/${'c'.repeat(64)}?t=${token}`)
    // The unsigned task is left as it was.
    expect((task as unknown as { input: { url: string } }).input.url).toBe(`/api/blobs/${h1}`)
    // Signing again replaces the token rather than appending a second one.
    expect((signTaskBlobs(signed as unknown as Task, secret, 6000) as unknown as { input: { url: string } }).input.url).toBe(`/api/blobs/${h1}?t=${taskToken(secret, 7, 6000)}`)
    expect(blobRefs(task).map((r) => r.hash)).toEqual([h1, h2, 'c'.repeat(64)])
    expect(blobRefs({ kind: 'infer', weights: ref(h2), data: ref(h1) }).map((r) => r.hash)).toEqual([h1, h2])
  })
  it('never throws and never accepts arbitrary strings (fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (s) => {
        expect(checkTaskToken(secret, s, 0)).toBeNull()
      }),
      { numRuns: 5000, seed: 9 },
    )
  })
})
