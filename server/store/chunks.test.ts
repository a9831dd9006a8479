import { describe, expect, it } from 'vitest'
import { CHUNKS, inChunks } from './chunks'

describe('inChunks', () => {
  it('cuts a list into chunk sizes, largest first, keeping every item in order', () => {
    for (const n of [0, 1, 5, 63, 64, 65, 300, 1000]) {
      const xs = Array.from({ length: n }, (_, i) => i)
      const parts = inChunks(xs)
      expect(parts.flat()).toEqual(xs)
      for (const p of parts) expect(CHUNKS).toContain(p.length)
      // Greedy: sizes never grow along the list.
      for (let i = 1; i < parts.length; i++) expect(parts[i].length).toBeLessThanOrEqual(parts[i - 1].length)
    }
    expect(inChunks(Array(300).fill(0)).map((p) => p.length)).toEqual([256, 16, 16, 4, 4, 4])
  })
})
