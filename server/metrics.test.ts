import { describe, expect, it } from 'vitest'
import { countTransition, metricsRegistry } from './metrics'

/** The value of one sample line of the exposition text, 0 when absent. */
async function sample(line: RegExp): Promise<number> {
  const text = await metricsRegistry.metrics()
  return Number(line.exec(text)?.[1] ?? 0)
}

describe('transition counters', () => {
  it('count every transition, tallied between scrapes and exposed at the next', async () => {
    const led = /^nimble_transitions_total\{entity="task",from="ready",to="leased"\} (\d+)$/m
    const valid = /^nimble_validation_total\{outcome="valid"\} (\d+)$/m
    const before = await sample(led)
    const validBefore = await sample(valid)
    for (let i = 0; i < 3; i++) countTransition('task', 'ready', 'leased')
    countTransition('instance', 'leased', 'valid')
    countTransition('instance', 'leased', 'expired')
    expect(await sample(led)).toBe(before + 3)
    expect(await sample(valid)).toBe(validBefore + 1)
    // Read again with nothing new: nothing is added twice.
    expect(await sample(led)).toBe(before + 3)
    expect(await sample(/^nimble_transitions_total\{entity="instance",from="leased",to="expired"\} (\d+)$/m)).toBeGreaterThanOrEqual(1)
    expect(await sample(valid)).toBe(validBefore + 1)
  })
})
