/**
 * The product in a real browser, as first-time people meet it:
 *  - a contributor goes from the landing page to a running task in two clicks;
 *  - an owner goes from the landing page to a submitted job on an uploaded CSV, no docs;
 *  - every page, light and dark (dark at phone width), is screenshotted (test-results/),
 *    logs no console error and has no serious or critical axe-core violation;
 *  - live views survive a coordinator restart without a page reload.
 */
import AxeBuilder from '@axe-core/playwright'
import { expect, test, type Page } from '@playwright/test'
import { irisCsv } from '../server/testing/iris'
import { startCoordinator, startWorker, stopAll, waitUntil, type Coord } from '../server/testing/harness'

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
  await expect(contributor.getByTestId('task-progress').or(contributor.getByTestId('tasks-done').filter({ hasNotText: /^0$/ }))).toBeVisible({ timeout: 60_000 })
  await waitUntil(async () => (await coord.api.call('GET', `/api/jobs/${job.body.id}`)).body.status === 'succeeded', 120_000, 'the API job to succeed')
  // Verified credit reaches the page (and the leaderboard) by push-triggered refresh.
  await expect(contributor.getByTestId('credit-earned')).toContainText('FLOP', { timeout: 30_000 })
  await expect(contributor.getByTestId('leaderboard')).toContainText('1')
})

test('a first-time owner: landing to a submitted job on an uploaded CSV, no docs', async ({ page }) => {
  logErrors(page, 'owner')
  await page.goto(coord.url)
  await page.getByTestId('landing-train').click()
  await expect(page).toHaveURL(/\/dashboard/)
  // The page asks for the owner key itself and says where it comes from.
  await page.getByTestId('owner-key-input').fill(coord.key)
  await page.getByTestId('owner-key-save').click()
  await page.getByTestId('csv-input').setInputFiles({ name: 'iris.csv', mimeType: 'text/csv', buffer: Buffer.from(irisCsv().train) })
  await expect(page.getByTestId('preview-table')).toBeVisible()
  await expect(page.getByTestId('columns-table')).toContainText('species')
  await page.getByTestId('target-select').selectOption('species')
  await expect(page.getByTestId('wizard-steps').locator('[aria-current="step"]')).toContainText('Target and model')
  await page.getByTestId('epochs-input').fill('3')
  await page.getByTestId('submit-job').click()
  await page.waitForURL(/\/jobs\/job_/)
  ownerJobId = page.url().split('/jobs/')[1]!
  // The contributor's tab trains it; the job page follows by push.
  await expect(page.getByTestId('job-status')).toHaveText('succeeded', { timeout: 180_000 })
  await expect(page.getByTestId('loss-chart').locator('svg.recharts-surface')).toBeVisible()
  await expect(page.getByTestId('devices-timeline')).toBeVisible()
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
