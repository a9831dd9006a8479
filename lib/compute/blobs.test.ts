import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fetchBlob } from './blobs'

const body = new Uint8Array([1, 2, 3, 4, 5])
const hash = createHash('sha256').update(body).digest('hex')
const fakeFetch = (status = 200, bytes = body) =>
  (async (url: string | URL | Request) => {
    expect(String(url)).toBe('http://coord:3000/api/blobs/abc')
    return new Response(bytes, { status })
  }) as typeof fetch

describe('fetchBlob', () => {
  const ref = { hash, bytes: 5, url: '/api/blobs/abc' }
  it('resolves the URL against the origin and returns the bytes', async () => {
    const buf = await fetchBlob(ref, 'http://coord:3000', { fetch: fakeFetch() })
    expect(new Uint8Array(buf)).toEqual(body)
  })
  it('refuses HTTP errors, wrong lengths and wrong hashes', async () => {
    await expect(fetchBlob(ref, 'http://coord:3000', { fetch: fakeFetch(404) })).rejects.toThrow(/HTTP 404/)
    await expect(fetchBlob({ ...ref, bytes: 6 }, 'http://coord:3000', { fetch: fakeFetch() })).rejects.toThrow(/has 5 bytes, the task says 6/)
    await expect(fetchBlob({ ...ref, hash: 'f'.repeat(64) }, 'http://coord:3000', { fetch: fakeFetch() })).rejects.toThrow(/sha256/)
  })
})
