import { describe, expect, it } from 'vitest'
import { BlobCache } from './blob-cache'

const ref = (hash: string, bytes: number) => ({ hash: hash.padEnd(64, '0'), bytes, url: `/api/blobs/${hash}` })

describe('BlobCache', () => {
  it('loads a blob once and serves copies after', async () => {
    const cache = new BlobCache(1000)
    let loads = 0
    const load = async () => {
      loads++
      return new Uint8Array([1, 2, 3]).buffer
    }
    const a = await cache.get(ref('a', 3), load)
    const b = await cache.get(ref('a', 3), load)
    expect(loads).toBe(1)
    expect(new Uint8Array(b)).toEqual(new Uint8Array([1, 2, 3]))
    new Uint8Array(a)[0] = 9
    expect(new Uint8Array(await cache.get(ref('a', 3), load))[0]).toBe(1)
    expect([cache.hits, cache.misses]).toEqual([2, 1])
  })

  it('evicts the least recently used blob past its budget', async () => {
    const cache = new BlobCache(10)
    const loads: string[] = []
    const load = (name: string) => async () => {
      loads.push(name)
      return new ArrayBuffer(4)
    }
    await cache.get(ref('a', 4), load('a'))
    await cache.get(ref('b', 4), load('b'))
    await cache.get(ref('a', 4), load('a')) // a is now the most recent
    await cache.get(ref('c', 4), load('c')) // over budget: b goes
    await cache.get(ref('a', 4), load('a'))
    await cache.get(ref('b', 4), load('b'))
    expect(loads).toEqual(['a', 'b', 'c', 'b'])
    expect(cache.size).toBeLessThanOrEqual(10)
  })
})
