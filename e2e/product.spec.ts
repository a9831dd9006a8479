/**
 * The product in a real browser, as first-time people meet it:
 *  - a contributor goes from the landing page to a running task in two clicks;
 *  - an owner goes from the landing page to a submitted job on an uploaded CSV, no docs and no
 *    key: signed in with a wallet (an injected EIP-1193 test wallet), the jobs list updating by push;
 *  - every page, light and dark (dark at phone width), is screenshotted (test-results/),
 *    logs no console error and has no serious or critical axe-core violation;
 *  - live views survive a coordinator restart without a page reload.
 */
import AxeBuilder from '@axe-core/playwright'
import { expect, test, type Page } from '@playwright/test'
import { irisCsv } from '../server/testing/iris'
import { startCoordinator, startWorker, stopAll, waitUntil, type Coord } from '../server/testing/harness'
import { chainOf, testKey } from '../server/testing/chain'
import { installTestWallet } from './test-wallet'

test.describe.configure({ mode: 'serial' })

let coord: Coord
let contributor: Page
let ownerJobId = ''

test.beforeAll(async () => {
  coord = await startCoordinator({ chain: true })
})

test.afterAll(async () => {
  await contributor?.close()
  await stopAll()
})

function logErrors(page: Page, label: string) {
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[${label}]`, m.text())
  })
}

test('a first-time contributor: landing to a running task in two clicks', async ({ browser }) => {
  // Work waiting for the first device.
  const ds = await coord.api.call('POST', '/api/datasets', irisCsv().train, { 'x-filename': 'iris.csv' })
  const job = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'logistic' }, epochs: 2 })
  expect(job.status).toBe(201)

  contributor = await browser.newPage()
  logErrors(contributor, 'contributor')
  await contributor.goto(coord.url)
  await contributor.getByTestId('landing-donate').click() // click 1; the contribute page starts at once
  await expect(contributor).toHaveURL(/\/contribute\?start=1/)
  await expect(contributor.getByTestId('connection')).toHaveText('connected', { timeout: 120_000 })
  await expect(contributor.getByTestId('task-progress').or(contributor.getByTestId('tasks-done').filter({ hasNotText: /^0$/ })).first()).toBeVisible({ timeout: 60_000 })
  await waitUntil(async () => (await coord.api.call('GET', `/api/jobs/${job.body.id}`)).body.status === 'succeeded', 120_000, 'the API job to succeed')
  // Verified credit reaches the page (and the leaderboard) by push-triggered refresh.
  await expect(contributor.getByTestId('credit-earned')).toContainText('FLOP', { timeout: 30_000 })
  await expect(contributor.getByTestId('leaderboard')).toContainText('1')

  // "How much of the device to use" reaches the scheduler: at 50% the coordinator counts half the speed (no work is left, so no new measurement intervenes).
  const browserSpeed = async () => ((await coord.api.call('GET', '/api/network')).body.devices as { kind: string; gflops: number }[]).find((d) => d.kind === 'browser')?.gflops ?? 0
  const full = await browserSpeed()
  expect(full).toBeGreaterThan(0)
  await contributor.getByTestId('duty').fill('50')
  await expect(contributor.getByTestId('duty-value')).toHaveText('50%')
  await expect.poll(browserSpeed).toBeCloseTo(full / 2, 6)
  await contributor.getByTestId('duty').fill('100')
  await expect.poll(browserSpeed).toBeCloseTo(full, 6)
})

test('a first-time owner: landing to a submitted job on an uploaded CSV, no docs, no key', async ({ page }) => {
  logErrors(page, 'owner')
  // A wallet in the browser (EIP-1193, as an extension would inject): the owner's only credential.
  const chain = await chainOf(coord)
  const wallet = await installTestWallet(page, { privateKey: testKey('e2e-owner'), rpcUrl: chain.info.rpcUrl, chainId: chain.info.chainId })
  await page.goto(coord.url)
  await page.getByTestId('landing-train').click()
  await expect(page).toHaveURL(/\/dashboard/)
  // Step 1 is signing in with the wallet; pasting a key is folded away.
  await expect(page.getByTestId('wizard-steps').locator('[aria-current="step"]')).toContainText('Sign in')
  await expect(page.getByTestId('owner-key-input')).toBeHidden()
  await expect(page.getByTestId('csv-input')).toHaveCount(0)
  await page.getByTestId('sign-in-wallet').click()
  await expect(page.getByTestId('signed-in-as')).toContainText(wallet.address.toLowerCase())
  expect(wallet.requests).toContain('personal_sign')

  // The jobs list is live: a job submitted through the API (this browser's session) appears, then changes status, with no click.
  const jobs = page.getByTestId('job-list')
  await expect(page.getByText('No jobs yet')).toBeVisible()
  const ds = await page.request.post(`${coord.url}/api/datasets`, { data: irisCsv().train, headers: { 'content-type': 'text/csv', 'x-filename': 'api.csv' } })
  expect(ds.status()).toBe(201)
  // Long enough that it is still running when cancelled (the contributor is idle and fast).
  const apiJob = await page.request.post(`${coord.url}/api/jobs`, { data: { type: 'train', name: 'submitted by API', datasetId: (await ds.json()).id, target: 'species', model: { template: 'logistic' }, epochs: 500 } })
  expect(apiJob.status()).toBe(201)
  const apiJobId = (await apiJob.json()).id as string
  const apiRow = jobs.getByTestId('job-link').filter({ hasText: 'submitted by API' })
  await expect(apiRow).toBeVisible()
  expect((await page.request.post(`${coord.url}/api/jobs/${apiJobId}/cancel`)).status()).toBe(200)
  await expect(apiRow.getByText('cancelled')).toBeVisible()

  await page.getByTestId('csv-input').setInputFiles({ name: 'iris.csv', mimeType: 'text/csv', buffer: Buffer.from(irisCsv().train) })
  await expect(page.getByTestId('preview-table')).toBeVisible()
  await expect(page.getByTestId('columns-table')).toContainText('species')
  await page.getByTestId('target-select').selectOption('species')
  await expect(page.getByTestId('wizard-steps').locator('[aria-current="step"]')).toContainText('Target and model')
  await page.getByTestId('epochs-input').fill('3')
  await page.getByTestId('submit-job').click()
  await page.waitForURL(/\/jobs\/job_/)
  ownerJobId = page.url().split('/jobs/')[1]!
  // The contributor's tab trains it; the job page follows by push, and the owner downloads the model.
  await expect(page.getByTestId('job-status')).toHaveText('succeeded', { timeout: 180_000 })
  await expect(page.getByTestId('loss-chart').locator('svg.recharts-surface')).toBeVisible()
  await expect(page.getByTestId('devices-timeline')).toBeVisible()
  const download = page.waitForEvent('download')
  await page.getByTestId('download-model').click()
  expect((await download).suggestedFilename()).toMatch(/^(model\.json|model\.weights\.bin|preprocessing\.json)$/)
  // The operator's job (the first test's) is not this owner's: it answers as if it did not exist.
  const others = await page.request.get(`${coord.url}/api/jobs`)
  expect(((await others.json()).jobs as { id: string }[]).map((j) => j.id).sort()).toEqual([apiJobId, ownerJobId].sort())
})

const PAGES = ['/', '/contribute', '/dashboard', '/jobs/:job', '/network', '/rewards', '/docs/api']

for (const scheme of ['light', 'dark'] as const) {
  test(`every page in ${scheme} mode: screenshot, no console error, no serious axe violation`, async ({ browser }, info) => {
    const phone = scheme === 'dark'
    const ctx = await browser.newContext({ colorScheme: scheme, viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 900 } })
    await ctx.addInitScript((key) => window.localStorage.setItem('nimble.ownerKey', key), coord.key)
    const page = await ctx.newPage()
    const errors: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`)
    })
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`))
    const violations: string[] = []
    for (const p of PAGES) {
      const path = p.replace(':job', ownerJobId)
      await page.goto(coord.url + path)
      await page.waitForLoadState('networkidle')
      if (p === '/jobs/:job') await expect(page.getByTestId('job-status')).toHaveText('succeeded')
      if (p === '/network') await expect(page.getByTestId('devices-online')).toBeVisible()
      if (p === '/docs/api') await expect(page.getByTestId('api-op').first()).toBeVisible()
      const name = `${scheme}${p.replace(/[/:]+/g, '-').replace(/-$/, '') || '-home'}.png`
      const shot = await page.screenshot({ fullPage: true, path: info.outputPath(name) })
      await info.attach(name, { body: shot, contentType: 'image/png' })
      const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
      for (const v of axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
        violations.push(`${path} ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`)
      }
    }
    await ctx.close()
    expect(errors).toEqual([])
    expect(violations).toEqual([])
  })
}

test('a newcomer on a coordinator without rewards: no failed request, no console error', async ({ browser }) => {
  const plain = await startCoordinator() // no chain: rewards are off
  const ctx = await browser.newContext()
  const page = await ctx.newPage()
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console ${page.url()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`pageerror ${page.url()}: ${e.message}`))
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`)
  })
  for (const p of ['/contribute', '/rewards', '/dashboard']) {
    await page.goto(plain.url + p)
    if (p === '/dashboard') await expect(page.getByTestId('sign-in-wallet')).toBeVisible()
    else await expect(page.getByTestId('rewards-off')).toBeVisible()
    await page.waitForLoadState('networkidle')
  }
  // The newcomer's dashboard (sign-in first, the key folded away) is accessible too.
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)
  await ctx.close()
  await plain.kill()
  expect(problems).toEqual([])
  expect(serious).toEqual([])
})

test('live views survive a coordinator restart without a page reload', async ({ page }) => {
  logErrors(page, 'network')
  await page.goto(`${coord.url}/network`)
  await expect(page.getByTestId('live-state')).toHaveText('Live')
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42))

  const { port, dataDir } = coord
  await coord.kill()
  await expect(page.getByTestId('live-state')).toHaveText(/Reconnecting/, { timeout: 20_000 })
  coord = await startCoordinator({ port, dataDir, chain: true })
  await expect(page.getByTestId('live-state')).toHaveText('Live', { timeout: 30_000 })

  // A device joining after the restart shows up by push on the same page.
  await startWorker(coord.url, { name: 'after-restart', backend: 'cpu' })
  const online = await waitUntil(async () => {
    const n = (await coord.api.call('GET', '/api/network')).body
    return n.devices.some((d: { name: string }) => d.name === 'after-restart') ? n.devicesOnline : null
  }, 60_000, 'the headless worker to join')
  await expect(page.getByTestId('devices-online')).toHaveText(String(online), { timeout: 20_000 })
  await expect(page.getByText('after-restart')).toBeVisible()
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42)
})
