/**
 * The whole product path in a real browser: a contributor donates a WebGPU device
 * (forced), an owner uploads Iris in the dashboard and trains on it, the job succeeds
 * with the work done on WebGPU, and the model downloads and loads with tf.loadLayersModel.
 */
import { expect, test } from '@playwright/test'
import * as tf from '@tensorflow/tfjs'
import { irisCsv } from '../server/testing/iris'
import { startCoordinator, stopAll, type Coord } from '../server/testing/harness'

let coord: Coord

test.beforeAll(async () => {
  coord = await startCoordinator()
})

test.afterAll(async () => {
  await stopAll()
})

test('donate a WebGPU device, train from the dashboard, download the model', async ({ browser }) => {
  const contributor = await browser.newPage()
  contributor.on('console', (m) => {
    if (m.type() === 'error') console.log('[contribute]', m.text())
  })
  await contributor.goto(`${coord.url}/contribute?backend=webgpu`)
  await contributor.getByTestId('donate').click()
  await expect(contributor.getByTestId('backend')).toHaveText('webgpu', { timeout: 120_000 })
  await expect(contributor.getByTestId('connection')).toHaveText(/connected/i, { timeout: 30_000 })
  await expect.poll(async () => (await coord.api.call('GET', '/api/network')).body.byBackend.webgpu ?? 0, { timeout: 30_000 }).toBe(1)

  const owner = await browser.newPage()
  await owner.goto(`${coord.url}/dashboard`)
  // The operator's way in (a newcomer signs in with a wallet, product.spec): unfold the key box and paste.
  await owner.getByTestId('owner-key-box').locator('summary').click()
  await owner.getByTestId('owner-key-input').fill(coord.key)
  await owner.getByTestId('owner-key-save').click()
  const iris = irisCsv()
  await owner.getByTestId('csv-input').setInputFiles({ name: 'iris.csv', mimeType: 'text/csv', buffer: Buffer.from(iris.train) })
  await expect(owner.getByText('120 rows')).toBeVisible()
  await owner.getByTestId('target-select').selectOption('species')
  await owner.getByTestId('template-select').selectOption('logistic')
  await owner.getByTestId('epochs-input').fill('8')
  await owner.getByTestId('lr-input').fill('0.1')
  await owner.getByTestId('submit-job').click()
  await owner.waitForURL(/\/jobs\/job_/)
  const jobId = owner.url().split('/jobs/')[1]

  // Live progress on the job page, real tasks on the contributor's WebGPU device.
  await expect(owner.getByTestId('job-status')).toHaveText(/running|succeeded/, { timeout: 60_000 })
  await expect(owner.getByTestId('job-status')).toHaveText('succeeded', { timeout: 240_000 })
  const done = Number(await contributor.getByTestId('tasks-done').textContent())
  expect(done).toBeGreaterThanOrEqual(8)
  const job = (await coord.api.call('GET', `/api/jobs/${jobId}`)).body
  expect(job.devices).toHaveLength(1)
  expect(job.devices[0].backend).toBe('webgpu')
  expect(job.history).toHaveLength(8)
  await expect(owner.getByTestId('test-accuracy')).toBeVisible()

  // The download button hands the owner the model.json.
  const download = owner.waitForEvent('download')
  await owner.getByTestId('download-model').click()
  expect((await download).suggestedFilename()).toMatch(/model.*\.json$/)

  // And the served artifacts load with tf.loadLayersModel and predict the three species.
  await tf.setBackend('cpu')
  const model = await tf.loadLayersModel(`${coord.url}/api/jobs/${jobId}/model`, { requestInit: { headers: { authorization: `Bearer ${coord.key}` } } })
  const out = model.predict(tf.zeros([2, model.inputs[0].shape[1]!])) as tf.Tensor
  expect(out.shape).toEqual([2, 3])

  // Stopping frees the device.
  await contributor.getByTestId('stop').click()
  await expect.poll(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline, { timeout: 30_000 }).toBe(0)
})
