/**
 * A mixed fleet: one fast and two slow headless workers (the slow ones run 4 times slower,
 * `--throttle 4`). With speed sharding the fast device gets proportionally more rows and a
 * data-parallel round finishes at least 25% sooner than with equal shards.
 */
import { zipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mnistIdx } from '../testing/datasets'
import { startCoordinator, startWorker, stopAll, waitUntil, type Coord } from '../testing/harness'

let coord: Coord
let datasetId = ''

beforeAll(async () => {
  coord = await startCoordinator()
  await startWorker(coord.url, { name: 'fast', backend: 'cpu' })
  await startWorker(coord.url, { name: 'slow-1', backend: 'cpu', extra: ['--throttle', '4'] })
  await startWorker(coord.url, { name: 'slow-2', backend: 'cpu', extra: ['--throttle', '4'] })
  await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === 3, 60_000, '3 workers')
  const d = mnistIdx(1200, 4)
  const zip = zipSync({ 'train-images-idx3-ubyte': d.images, 'train-labels-idx1-ubyte': d.labels }, { level: 0 })
  datasetId = (await coord.api.call('POST', '/api/datasets', zip, { 'content-type': 'application/zip' })).body.id
}, 120_000)
afterAll(stopAll)

async function train(sharding: 'equal' | 'speed') {
  const job = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId, target: 'label', model: { template: 'mlp', hidden: [128] }, epochs: 5, batchSize: 32, learningRate: 0.002, sharding })
  expect(job.status, JSON.stringify(job.body)).toBe(201)
  const done = await waitUntil(
    async () => {
      const j = (await coord.api.call('GET', `/api/jobs/${job.body.id}`)).body
      if (j.status === 'failed') throw new Error(j.error)
      return j.status === 'succeeded' ? j : null
    },
    240_000,
    `${sharding} job`,
    250,
  )
  // Round durations after the first (which also pays for fetching the shards).
  const at = done.history.map((p: { at: string }) => Date.parse(p.at))
  const rounds = at.slice(1).map((t: number, i: number) => t - at[i]).sort((a: number, b: number) => a - b)
  return { done, median: rounds[Math.floor(rounds.length / 2)] }
}

describe('matching a mixed fleet', () => {
  it('gives the fast device proportionally more rows and finishes rounds sooner than equal shards', async () => {
    const equal = await train('equal')
    const speed = await train('speed')
    const rows = Object.fromEntries(speed.done.devices.map((d: { name: string; rows: number }) => [d.name, d.rows]))
    console.log(`median round: equal shards ${equal.median} ms, speed shards ${speed.median} ms; rows per device ${JSON.stringify(rows)}`)
    expect(rows.fast).toBeGreaterThan(2 * rows['slow-1'])
    expect(rows.fast).toBeGreaterThan(2 * rows['slow-2'])
    expect(speed.median).toBeLessThanOrEqual(0.75 * equal.median)
  }, 500_000)
})
