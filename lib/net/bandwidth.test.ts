import { describe, expect, it } from 'vitest'
import { measureBandwidth } from './bandwidth'

describe('measureBandwidth', () => {
  it('is bytes over the fetch time', async () => {
    let t = 0
    const fetchFn = (async () => {
      t += 500
      return new Response(new Uint8Array(1 << 20))
    }) as unknown as typeof fetch
    expect(await measureBandwidth('http://x', fetchFn, () => t)).toBe(Math.round((1 << 20) / 0.5))
  })
  it('is undefined when the probe fails', async () => {
    expect(await measureBandwidth('http://x', (async () => new Response('no', { status: 404 })) as unknown as typeof fetch)).toBeUndefined()
    expect(await measureBandwidth('http://x', (async () => { throw new Error('down') }) as unknown as typeof fetch)).toBeUndefined()
  })
})
