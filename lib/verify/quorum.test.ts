import { describe, expect, it } from 'vitest'
import { quorum } from './quorum'

/** Results as numbers; two agree when within 0.01. */
const q = (vals: number[], needed = 2, max = 5) => quorum(vals.length, (i, j) => Math.abs(vals[i] - vals[j]) <= 0.01, needed, max)

describe('quorum', () => {
  it('a single trusted result stands alone; a replicated one waits for its copy', () => {
    expect(q([1], 1)).toEqual({ state: 'accepted', winners: [0], losers: [] })
    expect(q([1], 2)).toEqual({ state: 'more' })
  })
  it('two agreeing copies are accepted; two disagreeing ones call for a third, and the majority wins', () => {
    expect(q([1, 1.001])).toEqual({ state: 'accepted', winners: [0, 1], losers: [] })
    expect(q([1, 2])).toEqual({ state: 'more' })
    expect(q([1, 2, 1.002])).toEqual({ state: 'accepted', winners: [0, 2], losers: [1] })
    expect(q([2, 1, 1.002])).toEqual({ state: 'accepted', winners: [1, 2], losers: [0] })
  })
  it('no majority: more copies until the cap', () => {
    expect(q([1, 2, 3])).toEqual({ state: 'more' })
    expect(q([1, 2, 3], 2, 3)).toEqual({ state: 'exhausted' })
    // a tie of two pairs is not a majority
    expect(q([1, 1, 2, 2])).toEqual({ state: 'more' })
  })
  it('a chain of near results is not one group (agreement is not transitive)', () => {
    const out = q([1, 1.008, 1.016])
    expect(out.state).toBe('more')
  })
})
