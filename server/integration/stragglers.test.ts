/**
 * Stragglers: a worker that holds its task far past the expected time (`--fault slow` answers
 * only after three lease lengths) gets a spare copy of it on an idle honest worker; the spare's
 * result is used, the straggler's copy is cancelled, and the job finishes long before the
 * straggler's lease would have lapsed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { irisCsv } from '../testing/iris'
import { startCoordinator, startWorker, stopAll, waitForJob, waitUntil, type Coord } from '../testing/harness'

let coord: Coord
const LEASE_MS = 60_000

beforeAll(async () => {
  // Every accepted task is planted again as a canary: the straggler gets canaries too, and the
  // spare that answers one must free the straggler's slot (a canary's spare once left the
  // straggler holding its copy, and the next task that preferred the straggler waited for the
  // lease to lapse).
  coord = await startCoordinator({ env: { NIMBLE_LEASE_MS: String(LEASE_MS), NIMBLE_STRAGGLER_FACTOR: '3', NIMBLE_STRAGGLER_MIN_MS: '1500', NIMBLE_REPLICATION: 'off', NIMBLE_CANARY_RATE: '1' } })
  await startWorker(coord.url, { name: 'honest-1', backend: 'cpu' })
  await startWorker(coord.url, { name: 'honest-2', backend: 'cpu' })
  await startWorker(coord.url, { name: 'straggler', backend: 'cpu', extra: ['--fault', 'slow'] })
  await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === 3, 60_000, '3 workers')
}, 120_000)
afterAll(stopAll)

describe('stragglers', () => {
  it('runs a spare copy of an overdue task elsewhere and keeps whichever finishes first', async () => {
    const ds = await coord.api.call('POST', '/api/datasets', irisCsv().train)
    const t0 = Date.now()
    const job = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'logistic' }, epochs: 4 })
    expect(job.status).toBe(201)
    const done = await waitForJob(coord, job.body.id, LEASE_MS, 'the job, before any lease could lapse')
    const took = Date.now() - t0
    console.log(`job took ${took} ms with ${done.scheduling.spares} spare cop(ies); lease ${LEASE_MS} ms`)
    expect(took).toBeLessThan(LEASE_MS)
    expect(done.scheduling.spares).toBeGreaterThanOrEqual(1)
    // The straggler contributed nothing that was used; the spares did.
    expect(done.devices.map((d: { name: string }) => d.name)).not.toContain('straggler')
    const spares = done.scheduling.placements.filter((p: { spare: boolean }) => p.spare)
    expect(spares.some((p: { state: string; reason: string }) => p.state === 'valid' && /spare copy: straggler ran well past/.test(p.reason))).toBe(true)
    expect(done.scheduling.placements.some((p: { device: string; state: string }) => p.device === 'straggler' && p.state === 'cancelled')).toBe(true)
  }, 120_000)
})
