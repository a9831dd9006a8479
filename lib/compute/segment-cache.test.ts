import type * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { SegmentCache } from './segment-cache'

/** A stand-in model that only records its disposal. */
function fake(name: string, disposed: string[]) {
  return { name, dispose: () => disposed.push(name) } as unknown as tf.LayersModel
}

describe('SegmentCache', () => {
  it('builds once for concurrent and consecutive callers of one key', async () => {
    const cache = new SegmentCache()
    const disposed: string[] = []
    let builds = 0
    const build = async () => {
      builds++
      await new Promise((r) => setTimeout(r, 5))
      return fake('a', disposed)
    }
    const names = await Promise.all([1, 2, 3].map(() => cache.with('a', 10, build, async (m) => (m as unknown as { name: string }).name)))
    await cache.with('a', 10, build, async () => null)
    expect(names).toEqual(['a', 'a', 'a'])
    expect([builds, cache.builds, cache.hits]).toEqual([1, 1, 3])
    cache.clear()
    expect(disposed).toEqual(['a'])
  })

  it('evicts the least recently used past its entry or byte budget, never a model in use', async () => {
    const disposed: string[] = []
    const cache = new SegmentCache({ maxEntries: 2, maxBytes: 100 })
    const run = (key: string, bytes: number, during: () => Promise<void> = async () => {}) => cache.with(key, bytes, async () => fake(key, disposed), during)
    await run('a', 10)
    await run('b', 10)
    await run('a', 10) // a is now the most recent
    await run('c', 10) // three entries: b goes
    expect(disposed).toEqual(['b'])
    await run('big', 95) // over the byte budget: a and c go, big stays although alone it is near the limit
    expect(disposed).toEqual(['b', 'a', 'c'])
    await run('huge', 500) // bigger than the budget alone: kept as the only entry
    expect(disposed).toEqual(['b', 'a', 'c', 'big'])
    expect(cache.size).toBe(1)

    // Evicted while in use: disposed only when its caller is done.
    let finish!: () => void
    const busy = run('x', 1, () => new Promise<void>((r) => (finish = r)))
    await new Promise((r) => setTimeout(r, 0))
    cache.clear()
    expect(disposed).not.toContain('x')
    finish()
    await busy
    expect(disposed.at(-1)).toBe('x')
  })

  it('forgets a failed build, so the next call retries', async () => {
    const cache = new SegmentCache()
    await expect(cache.with('k', 1, async () => Promise.reject(new Error('fetch failed')), async () => null)).rejects.toThrow('fetch failed')
    expect(cache.size).toBe(0)
    const disposed: string[] = []
    await cache.with('k', 1, async () => fake('k', disposed), async () => null)
    expect(cache.builds).toBe(2)
    cache.clear()
    expect(disposed).toEqual(['k'])
  })
})
