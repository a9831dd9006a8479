/**
 * Rewards end to end on the embedded chain: two headless workers declare payout addresses
 * (--address), train a job, the owner settles, and each address claims with viem. Its token
 * balance must equal its verified credit × rate exactly, and the root's total the whole credit × rate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Address } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { createSiweMessage } from 'viem/siwe'
import { irisCsv } from '../testing/iris'
import { startCoordinator, startWorker, stopAll, waitUntil, type Coord } from '../testing/harness'
import { chainOf, creditedFlops, testAddress, testKey } from '../testing/chain'

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
    const flops = await creditedFlops(coord.dataDir)
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

  it('links devices by Sign-In with Ethereum: once per nonce, for this host and chain only', async () => {
    const account = privateKeyToAccount(testKey('erin'))
    const host = new URL(coord.url).host
    const sign = async (over: { domain?: string; chainId?: number; nonce?: string } = {}) => {
      const nonce = over.nonce ?? (await coord.api.call('POST', '/api/wallet/nonce')).body.nonce
      const message = createSiweMessage({ domain: over.domain ?? host, address: account.address, uri: coord.url, version: '1', chainId: over.chainId ?? 31337, nonce })
      return { nonce, message, signature: await account.signMessage({ message }) }
    }
    const link = (b: object) => coord.api.call('POST', '/api/wallet/link', b)
    const ok = await sign()
    const linked = await link({ ...ok, deviceIds: ['dev_erin_browser1'] })
    expect(linked.status).toBe(200)
    expect(linked.body).toEqual({ address: account.address.toLowerCase(), deviceIds: ['dev_erin_browser1'] })
    expect((await link({ ...ok, deviceIds: ['dev_erin_browser2'] })).body.error.code).toBe('invalid_signature') // nonce used
    expect((await link({ ...(await sign({ domain: 'evil.example' })), deviceIds: ['dev_erin_browser2'] })).status).toBe(401)
    expect((await link({ ...(await sign({ chainId: 1 })), deviceIds: ['dev_erin_browser2'] })).status).toBe(401)
    const forged = await sign()
    expect((await link({ ...forged, signature: (await sign()).signature, deviceIds: ['dev_erin_browser2'] })).body.error.field).toBe('signature')
    // A device already linked to someone else stays theirs.
    const alice = privateKeyToAccount(testKey('alice-2'))
    const nonce = (await coord.api.call('POST', '/api/wallet/nonce')).body.nonce
    const message = createSiweMessage({ domain: host, address: alice.address, uri: coord.url, version: '1', chainId: 31337, nonce })
    const taken = await link({ message, signature: await alice.signMessage({ message }), deviceIds: ['dev_erin_browser1'] })
    expect(taken.status).toBe(409)
  })
})
