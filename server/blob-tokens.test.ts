import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { blobToken, checkBlobToken } from './blob-tokens'

const secret = Buffer.from('0123456789abcdef0123456789abcdef')
const h1 = 'a'.repeat(64)
const h2 = 'b'.repeat(64)

describe('blob tokens', () => {
  it('accept their own lease and blob until expiry only', () => {
    const t = blobToken(secret, 42, 1000, h1)
    expect(checkBlobToken(secret, t, h1, 999)).toEqual({ instanceId: 42 })
    expect(checkBlobToken(secret, t, h1, 1001)).toBeNull()
    expect(checkBlobToken(secret, t, h2, 999)).toBeNull()
    expect(checkBlobToken(Buffer.from('x'.repeat(32)), t, h1, 999)).toBeNull()
    // Moving the token to another lease or a later expiry breaks the signature.
    expect(checkBlobToken(secret, t.replace(/^42\./, '43.'), h1, 999)).toBeNull()
    expect(checkBlobToken(secret, t.replace('.1000.', '.9999.'), h1, 999)).toBeNull()
  })
  it('never throws and never accepts arbitrary strings (fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (s) => {
        expect(checkBlobToken(secret, s, h1, 0)).toBeNull()
      }),
      { numRuns: 5000, seed: 9 },
    )
  })
})
