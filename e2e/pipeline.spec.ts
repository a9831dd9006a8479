/**
 * A segmented inference job runs across the contribute page's browser worker and headless
 * workers: the owner uploads a model (model.save to /api/models) that no headless worker can
 * hold whole, the coordinator cuts it into pipeline stages, and the outputs match model.predict.
 *
 * Why the plan deterministically uses both kinds of device (lib/model/partition):
 * - devices are offered largest memory first: the browser (wasm, 256 MiB budget), then the two
 *   headless workers (`--memory 80KB` = 80,000 bytes); each at most once, in that order;
 * - layer 0 (Dense 1536→16, 98 KB of weights, about 197 KB with a micro-batch of 16 rows) fits
 *   only the browser, and the browser comes first, so stage 0 is the browser's;
 * - the partitioner minimises the slowest stage, and a stage's time includes receiving its input
 *   (micro-batch × input bytes / 10 MB/s, the same for every device): the browser's stage
 *   receives 1536 floats a row (≈ 9.8 ms per micro-batch), the later layers only 16-90 (≤ 0.6 ms)
 *   and ≈ 0.36 MFLOP per micro-batch, so keeping them on the browser would only lengthen the
 *   bottleneck while moving them to the headless workers leaves it at the browser's first layer.
 *   That holds as long as a headless worker benchmarks above ≈ 0.03 GFLOP/s (cpu measures ≈ 0.6);
 * - the tail (16→90→90→90→3, about 115 KB with activations) exceeds one 80 KB worker, so it is
 *   cut in two: both headless workers get a stage.
 * Stage tasks go to their planned device while it is connected, so `ranOn` follows the plan.
 */
import { expect, test } from '@playwright/test'
import * as tf from '@tensorflow/tfjs'
import { createRng } from '../lib/data'
import { startCoordinator, startWorker, stopAll, waitUntil, type Coord } from '../server/testing/harness'

const FEATURES = 1536
const UNITS = [16, 90, 90, 90, 3]
const ROWS = 64
const MICRO_BATCH = 16
const HEADLESS_MEMORY = '80KB'
const HEADLESS_BUDGET = 80_000

let coord: Coord

test.beforeAll(async () => {
  coord = await startCoordinator({ env: { NIMBLE_LOG_LEVEL: 'warn' } })
  for (let i = 0; i < 2; i++) await startWorker(coord.url, { name: `h${i}`, backend: 'cpu', extra: ['--memory', HEADLESS_MEMORY] })
  await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === 2, 60_000, '2 headless workers')
})

test.afterAll(async () => {
  await stopAll()
})

function model(): tf.Sequential {
  const m = tf.sequential()
  UNITS.forEach((units, i) =>
    m.add(
      tf.layers.dense({
        units,
        activation: i === UNITS.length - 1 ? 'softmax' : 'tanh',
        inputShape: i === 0 ? [FEATURES] : undefined,
        kernelInitializer: tf.initializers.glorotUniform({ seed: 40 + i }),
        biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: 60 + i }),
      }),
    ),
  )
  return m
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

test('a segmented inference job runs across the contribute page and headless workers', async ({ browser }) => {
  test.setTimeout(120_000)
  const page = await browser.newPage()
  page.on('console', (m) => {
    if (m.type() === 'error') console.log('[contribute]', m.text())
  })
  await page.goto(`${coord.url}/contribute?backend=wasm`)
  await expect(page.getByTestId('backend-select')).toHaveValue('wasm')
  await page.getByTestId('donate').click()
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 60_000 })
  await expect(page.getByTestId('connection')).toHaveText(/^connected$/, { timeout: 30_000 })
  const net = await waitUntil(
    async () => {
      const n = (await coord.api.call('GET', '/api/network')).body
      return n.devicesOnline === 3 ? n : null
    },
    30_000,
    'browser device online',
  )
  const browserDevice = net.devices.find((d: { kind: string }) => d.kind === 'browser')
  expect(browserDevice, JSON.stringify(net.devices)).toBeTruthy()
  expect(browserDevice.backend).toBe('wasm')
  await expect(page.getByTestId('device-id')).toHaveText(browserDevice.id)
  const headless = new Set<string>(net.devices.filter((d: { kind: string }) => d.kind !== 'browser').map((d: { id: string }) => d.id))
  expect(headless.size).toBe(2)

  // The owner saves the model straight to Nimble from this process, as tfjs does it.
  await tf.setBackend('cpu')
  const m = model()
  const saved = await m.save(tf.io.http(`${coord.url}/api/models`, { requestInit: { headers: { authorization: `Bearer ${coord.key}` } } }))
  const uploaded = JSON.parse(await (saved.responses![0] as Response).text())
  expect(uploaded.params).toBe(m.countParams())

  // Inputs with three decimals: the CSV the coordinator parses holds exactly the values predicted on here.
  const rng = createRng(11)
  const x = new Float32Array(ROWS * FEATURES).map(() => Math.round((rng() * 2 - 1) * 1000) / 1000)
  const header = Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(',')
  const lines = Array.from({ length: ROWS }, (_, i) => Array.from(x.subarray(i * FEATURES, (i + 1) * FEATURES), (v) => v.toFixed(3)).join(','))
  const ds = await coord.api.call('POST', '/api/datasets', [header, ...lines].join('\n'))
  expect(ds.status, JSON.stringify(ds.body)).toBe(201)
  const expected = (m.predict(tf.tensor2d(x, [ROWS, FEATURES])) as tf.Tensor).dataSync()

  const job = await coord.api.call('POST', '/api/jobs', { type: 'infer', modelId: uploaded.id, datasetId: ds.body.id, microBatchRows: MICRO_BATCH })
  expect(job.status, JSON.stringify(job.body)).toBe(201)
  const done = await waitUntil(
    async () => {
      const j = (await coord.api.call('GET', `/api/jobs/${job.body.id}`)).body
      if (j.status === 'failed') throw new Error(j.error)
      return j.status === 'succeeded' ? j : null
    },
    60_000,
    'pipeline job',
    200,
  )

  // The plan: the browser holds the big first layer, the headless workers the tail.
  const segments = done.pipeline.segments as { stage: number; from: number; to: number; memoryBytes: number; plannedDevice: string; ranOn: string[]; done: number }[]
  const summary = JSON.stringify(segments.map((s) => ({ ...s, plannedDevice: s.plannedDevice === browserDevice.id ? 'browser' : s.plannedDevice })))
  // How many tail layers stay with the browser depends on the measured speeds (the partitioner
  // minimises the slowest stage); the browser always holds the first, the headless workers the rest.
  expect(segments.length, summary).toBeGreaterThanOrEqual(2)
  expect(done.pipeline.microBatches).toBe(ROWS / MICRO_BATCH)
  expect(segments[0].memoryBytes, summary).toBeGreaterThan(HEADLESS_BUDGET)
  const ranOn = new Set(segments.flatMap((s) => s.ranOn))
  expect(ranOn.has(browserDevice.id), summary).toBe(true)
  expect([...ranOn].filter((d) => headless.has(d)).length, summary).toBeGreaterThanOrEqual(1)
  expect(segments[0].ranOn, summary).toEqual([browserDevice.id])
  for (const s of segments) {
    expect(s.done, summary).toBe(ROWS / MICRO_BATCH)
    // Whatever ran on a headless worker fit its 80 KB.
    if (s.ranOn.some((d) => headless.has(d))) expect(s.memoryBytes, summary).toBeLessThanOrEqual(HEADLESS_BUDGET)
  }

  // The outputs match model.predict of the whole model in this process.
  const out = (await coord.api.call('GET', `/api/jobs/${job.body.id}/outputs`)).body
  expect(out.shape).toEqual([ROWS, UNITS.at(-1)])
  expect(maxDiff(out.data, expected)).toBeLessThan(1e-4)

  // And the contribute page counted the stage tasks its worker ran.
  await expect.poll(async () => Number(await page.getByTestId('tasks-done').textContent()), { timeout: 15_000 }).toBeGreaterThan(0)
  m.dispose()
})
