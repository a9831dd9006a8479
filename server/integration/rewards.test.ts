/**
 * Rewards end to end on the embedded chain: two headless workers declare payout addresses
 * (--address), train a job, the owner settles, and each address claims with viem. Its token
 * balance must equal its verified credit × rate exactly, and the root's total the whole credit × rate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Address } from 'viem'
import { irisCsv } from '../testing/iris'
import { startCoordinator, startWorker, stopAll, waitUntil, type Coord } from '../testing/harness'
import { chainOf, creditedFlops, testAddress } from '../testing/chain'

// 0.0025 tokens per TFLOP = exactly 2500 base units per FLOP (18 decimals): the expected amounts need no rounding.
const RATE = 0.0025
const UNITS_PER_FLOP = 2500n
const labels = ['alice', 'bob']
let coord: Coord

beforeAll(async () => {
  coord = await startCoordinator({ chain: true, env: { NIMBLE_PRICES: JSON.stringify({ volunteerPerTflop: RATE }), NIMBLE_EPOCH_SECONDS: '0' } })
  for (const l of labels) await startWorker(coord.url, { name: `w-${l}`, extra: ['--address', testAddress(l)] })
  await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === 2, 60_000, '2 workers online')
}, 180_000)

afterAll(stopAll)

describe('rewards on chain', () => {
  it('pays each linked address exactly its verified credit × rate', async () => {
    const chain = await chainOf(coord)
    expect(chain.info.chainId).toBe(31337)
    const before = (await coord.api.call('POST', '/api/rewards/settle')).body
    expect(before.status).toBe('nothing')

    const iris = irisCsv()
    const ds = await coord.api.call('POST', '/api/datasets', iris.train, { 'x-filename': 'iris.csv' })
    const job = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'logistic' }, epochs: 4 })
    expect(job.status).toBe(201)
    await waitUntil(async () => {
      const j = await coord.api.call('GET', `/api/jobs/${job.body.id}`)
      if (j.body.status === 'failed') throw new Error(`job failed: ${j.body.error}`)
      return j.body.status === 'succeeded'
    }, 150_000, 'job to succeed')

    expect((await coord.api.call('POST', '/api/rewards/settle', undefined, {})).status).toBe(200)
    const settled = (await coord.api.call('GET', `/api/rewards/${testAddress('alice')}`)).body
    const flops = creditedFlops(coord.dataDir)
    const total = [...flops.values()].reduce((a, b) => a + b, 0n)
    expect(total).toBeGreaterThan(0n)

    // The published root covers every credited FLOP: a settle now changes nothing.
    const again = (await coord.api.call('POST', '/api/rewards/settle')).body
    expect(again.status).toBe('unchanged')
    expect(again.epoch).toBe(settled.epoch)
    expect(BigInt(again.total)).toBe(total * UNITS_PER_FLOP)
    expect(await chain.chainEpoch()).toBe(BigInt(again.epoch))
    expect(await chain.rootOf(BigInt(again.epoch))).toBe(again.root)

    for (const l of labels) {
      const address = testAddress(l)
      const expected = (flops.get(address.toLowerCase()) ?? 0n) * UNITS_PER_FLOP
      expect(expected).toBeGreaterThan(0n)
      const r = (await coord.api.call('GET', `/api/rewards/${address}`)).body
      expect(r).toMatchObject({ earned: expected.toString(), cumulativeAmount: expected.toString(), claimed: '0', claimable: expected.toString() })
      const rc = await chain.claim(l, { ...r, address: address as Address })
      expect(rc.status).toBe('success')
      expect(await chain.balance(address)).toBe(expected)
      const after = (await coord.api.call('GET', `/api/rewards/${address}`)).body
      expect(after).toMatchObject({ claimed: expected.toString(), claimable: '0' })
    }
  }, 240_000)

  it('refuses a malformed address and an unauthorised settle', async () => {
    const bad = await coord.api.call('GET', '/api/rewards/0x1234')
    expect(bad.status).toBe(422)
    expect(bad.body.error.field).toBe('address')
    const res = await fetch(`${coord.url}/api/rewards/settle`, { method: 'POST' })
    expect(res.status).toBe(401)
  })
})
