import { describe, expect, it } from 'vitest'
import { makeTask } from '../../lib/compute/test-fixtures'
import { packTensors, unpackTensors } from '../../lib/protocol'
import { corrupt, FaultState, shortcut, slowDelayMs, staleWeights } from './faults'

const pack = (...v: number[]) => packTensors([{ name: 'w', shape: [v.length], data: Float32Array.from(v) }])
const values = (b: ArrayBuffer) => [...unpackTensors(b)[0].data]

describe('fault injection', () => {
  const task = makeTask()
  it('scaled, nan and random corrupt the computed result; others pass it through', () => {
    expect(values(corrupt(new FaultState('scaled'), task, pack(1, 2)))).toEqual([Math.fround(1.01), Math.fround(2.02)])
    expect(values(corrupt(new FaultState('nan'), task, pack(1, 2)))[0]).toBeNaN()
    const r = values(corrupt(new FaultState('random'), task, pack(1, 2)))
    expect(r).not.toEqual([1, 2])
    expect(values(corrupt(new FaultState('random'), task, pack(1, 2)))).toEqual(r) // seeded
    expect(values(corrupt(new FaultState('slow'), task, pack(1, 2)))).toEqual([1, 2])
  })
  it('lazy returns the input weights; copy replays its previous result', () => {
    const w = pack(3, 4)
    expect(shortcut(new FaultState('lazy'), task, { weights: w })).toBe(w)
    const copy = new FaultState('copy')
    expect(shortcut(copy, task, { weights: w })).toBe(w)
    copy.lastResult = pack(9)
    expect(values(shortcut(copy, task, { weights: w })!)).toEqual([9])
    expect(shortcut(new FaultState('scaled'), task, { weights: w })).toBeNull()
  })
  it('stale trains from the first weights it saw for the job', () => {
    const s = new FaultState('stale')
    const first = staleWeights(s, task, task.weights, pack(10))
    expect(values(first)).toEqual([9])
    // still the same weights (same round): a decayed copy again, never the current weights
    expect(values(staleWeights(s, task, task.weights, pack(10)))).toEqual([9])
    const next = { ...task, weights: { ...task.weights, hash: 'f'.repeat(64) } }
    expect(values(staleWeights(s, next, next.weights, pack(20)))).toEqual([10])
    // other blobs (the data) are untouched
    expect(values(staleWeights(s, task, task.data, pack(5)))).toEqual([5])
  })
  it('slow waits three lease lengths', () => {
    expect(slowDelayMs(new FaultState('slow'), { ...task, deadline: 10_000 }, 5_000)).toBe(15_000)
    expect(slowDelayMs(new FaultState('lazy'), task)).toBe(0)
  })
})
