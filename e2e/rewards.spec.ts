/**
 * Rewards in a real browser with an injected EIP-1193 test wallet: connect (on the wrong
 * network first, then switch), sign in to link the device (the first signature rejected),
 * contribute through the page, settle, claim, and see the wallet balance rise by exactly the
 * claimable amount; a second click pays nothing more.
 */
import { expect, test } from '@playwright/test'
import { irisCsv } from '../server/testing/iris'
import { startCoordinator, stopAll, waitUntil, type Coord } from '../server/testing/harness'
import { chainOf, creditedFlops, testKey } from '../server/testing/chain'
import { installTestWallet } from './test-wallet'

let coord: Coord

test.beforeAll(async () => {
  coord = await startCoordinator({ chain: true, env: { NIMBLE_EPOCH_SECONDS: '0' } })
})

test.afterAll(async () => {
  await stopAll()
})

test('connect, link, contribute, settle, claim exactly the claimable amount once', async ({ page }) => {
  page.on('console', (m) => {
    if (m.type() === 'error') console.log('[contribute]', m.text())
  })
  const chain = await chainOf(coord)
  const key = testKey('e2e-wallet')
  const wallet = await installTestWallet(page, { privateKey: key, rpcUrl: chain.info.rpcUrl, chainId: chain.info.chainId, startChainId: 1 })
  await chain.pub.request({ method: 'anvil_setBalance' as never, params: [wallet.address, '0x8ac7230489e80000'] as never })

  await page.goto(`${coord.url}/contribute?backend=wasm`)
  await page.getByTestId('connect-injected').click()
  await expect(page.getByTestId('wallet-address')).toHaveText(wallet.address)

  // Wrong network: the panel says so and offers the switch.
  await expect(page.getByTestId('wrong-network')).toContainText(`chain ${chain.info.chainId}`)
  await page.getByTestId('switch-network').click()
  await expect(page.getByTestId('wrong-network')).toHaveCount(0)

  // A rejected signature links nothing and says so; the second attempt links.
  wallet.rejectNextSignature()
  await page.getByTestId('link-wallet').click()
  await expect(page.getByTestId('link-error')).toContainText(/rejected/i)
  await page.getByTestId('link-wallet').click()
  await expect(page.getByTestId('linked')).toContainText('Linked device')

  // Nothing to claim before any work.
  await page.getByTestId('claim').click()
  await expect(page.getByTestId('claim-note')).toContainText(/nothing to claim/i)

  // Contribute through the page.
  await page.getByTestId('donate').click()
  await expect(page.getByTestId('connection')).toHaveText(/connected/i, { timeout: 120_000 })
  const iris = irisCsv()
  const ds = await coord.api.call('POST', '/api/datasets', iris.train, { 'x-filename': 'iris.csv' })
  const job = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'logistic' }, epochs: 3 })
  expect(job.status).toBe(201)
  await waitUntil(async () => {
    const j = await coord.api.call('GET', `/api/jobs/${job.body.id}`)
    if (j.body.status === 'failed') throw new Error(`job failed: ${j.body.error}`)
    return j.body.status === 'succeeded'
  }, 180_000, 'job to succeed')
  await page.getByTestId('stop').click()

  const settled = await coord.api.call('POST', '/api/rewards/settle')
  expect(settled.body.status).toBe('settled')
  const expected = ((await creditedFlops(coord.dataDir)).get(wallet.address.toLowerCase()) ?? 0n) * 1500n // default 0.0015 tokens/TFLOP
  expect(expected).toBeGreaterThan(0n)

  await expect(page.getByTestId('rewards-claimable')).toHaveAttribute('data-units', expected.toString(), { timeout: 20_000 })
  await expect(page.getByTestId('token-balance')).toHaveAttribute('data-units', '0')
  await page.getByTestId('claim').click()
  await expect(page.getByTestId('claim-state')).toContainText(/mined in block/i, { timeout: 30_000 })
  await expect(page.getByTestId('token-balance')).toHaveAttribute('data-units', expected.toString(), { timeout: 20_000 })
  await expect(page.getByTestId('rewards-claimable')).toHaveAttribute('data-units', '0', { timeout: 20_000 })
  expect(await chain.balance(wallet.address)).toBe(expected)

  // A second click pays nothing more.
  const sent = wallet.requests.filter((m) => m === 'eth_sendTransaction').length
  await page.getByTestId('claim').click()
  await expect(page.getByTestId('claim-note')).toContainText(/nothing to claim/i)
  expect(wallet.requests.filter((m) => m === 'eth_sendTransaction').length).toBe(sent)
  expect(await chain.balance(wallet.address)).toBe(expected)

  await page.getByTestId('add-token').click()
  await expect(page.getByTestId('token-added')).toBeVisible()
})
