/**
 * Tasks in flight per device (NIMBLE_DEVICE_MAX_TASKS): a real coordinator and a headless
 * worker started with `--slots 2`. Two jobs are queued before the worker joins, so each has a
 * ready task when it does. At a limit of 2 the worker is given both at once (and finishes both
 * jobs); at the default limit of 1 it never holds more than one. The coordinator's
 * `nimble_device_leases_held` histogram records, at every lease, how many the device then holds.
 * A hello asking for more slots than the limit is capped, saying so; a result for a lease the
 * device does not hold is refused naming the limit.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { io } from 'socket.io-client'
import { packTensors, PROTOCOL_VERSION } from '../../lib/protocol'
import { irisCsv } from '../testing/iris'
import { startCoordinator, startWorker, stopAll, waitUntil, type Coord } from '../testing/harness'
import { withTestStore } from '../testing/store'

afterAll(stopAll)

const iris = irisCsv()
// Replication, spot checks and canaries are about trust; this test is about how many tasks a device holds.
const ENV = { NIMBLE_REPLICATION: 'off', NIMBLE_SPOT_CHECK_RATE: '0', NIMBLE_CANARY_RATE: '0', NIMBLE_RATE_PER_IP: '0' }
const profile = { kind: 'headless', backend: 'cpu', benchmarks: [{ backend: 'cpu', gflops: 1, size: 256 }], adapter: null, memoryBudget: 1e8 }

/** The histogram's observations: how many, and how many at most `le` leases held. */
async function leasesHeld(coord: Coord): Promise<{ count: number; le: (n: number) => number }> {
  const text = await (await fetch(`${coord.url}/metrics`)).text()
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN)
  return { count: value(/^nimble_device_leases_held_count (\d+)$/m), le: (n) => value(new RegExp(`^nimble_device_leases_held_bucket\\{le="${n}"\\} (\\d+)$`, 'm')) }
}

/** Two training jobs with a ready task each, queued while no device is online. */
async function twoJobs(coord: Coord): Promise<string[]> {
  const ds = await coord.api.call('POST', '/api/datasets', iris.train, { 'x-filename': 'iris.csv' })
  expect(ds.status).toBe(201)
  const ids: string[] = []
  for (const seed of [1, 2]) {
    const job = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'logistic' }, epochs: 4, seed })
    expect(job.status, JSON.stringify(job.body)).toBe(201)
    ids.push(job.body.id)
  }
  await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.tasks.ready === 2, 30_000, 'a ready task for each job')
  return ids
}

async function finished(coord: Coord, ids: string[]): Promise<void> {
  for (const id of ids) {
    await waitUntil(async () => {
      const j = (await coord.api.call('GET', `/api/jobs/${id}`)).body
      if (j.status === 'failed') throw new Error(`job failed: ${j.error}`)
      return j.status === 'succeeded'
    }, 120_000, `job ${id} to succeed`)
  }
}

/** Most leases of one device live at once in the store (a lease lives from leased_at until finished_at). */
async function mostAtOnce(coord: Coord): Promise<number> {
  const rows = await withTestStore(coord.dataDir, (db) => db.selectFrom('instances').select(['device_id', 'leased_at', 'finished_at']).execute())
  let most = 0
  for (const r of rows) {
    const live = rows.filter((o) => o.device_id === r.device_id && o.leased_at <= r.leased_at && (o.finished_at === null || o.finished_at > r.leased_at))
    most = Math.max(most, live.length)
  }
  return most
}

function hello(coord: Coord, slots: number) {
  const s = io(`${coord.url}/devices`, { transports: ['websocket'], reconnection: false })
  return { socket: s, answer: s.timeout(10_000).emitWithAck('device:hello', { protocolVersion: PROTOCOL_VERSION, name: 'greedy', slots, profile }) as Promise<any> }
}

describe('tasks in flight per device', () => {
  it('at NIMBLE_DEVICE_MAX_TASKS=2 a worker with 2 slots holds 2 leases at once; more slots are capped; a lease not held is refused naming the limit', async () => {
    const coord = await startCoordinator({ env: { ...ENV, NIMBLE_DEVICE_MAX_TASKS: '2' } })

    // A device asking for 8 slots gets 2, and is told why.
    const greedy = hello(coord, 8)
    const answer = await greedy.answer
    expect(answer).toMatchObject({ ok: true, slots: 2, notice: expect.stringMatching(/asked for 8 task slots.*at most 2 tasks in flight per device \(NIMBLE_DEVICE_MAX_TASKS\)/) })
    // A result for a lease it was never given: refused, naming the limit; the socket stays.
    const weights = packTensors([{ name: 'w', shape: [1], data: new Float32Array([1]) }])
    const refused: any = await greedy.socket.timeout(10_000).emitWithAck('task:result', { instanceId: 424242, taskId: 1, loss: 0, elapsedMs: 1, backend: 'cpu' }, weights)
    expect(refused.ok).toBe(false)
    expect(refused.error.code).toBe('stale_lease')
    expect(refused.error.message).toMatch(/lease 424242 is not one of the tasks this device holds \(it holds 0 of its 2 task slot\(s\); NIMBLE_DEVICE_MAX_TASKS is 2\)/)
    expect(greedy.socket.connected).toBe(true)
    greedy.socket.disconnect()
    await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === 0, 10_000, 'the greedy device gone')

    const ids = await twoJobs(coord)
    // Slowed down (--throttle 20: each task takes ~1 s): the second task must reach the worker
    // while it still computes the first for the worker to log "2 of 2 slots"; at full speed the
    // first (~50 ms) was sometimes done before the second pass's lease arrived on PostgreSQL.
    const worker = await startWorker(coord.url, { name: 'two-slots', extra: ['--slots', '2', '--throttle', '20'] })
    await worker.waitFor(/joined as \S+ with 2 task slots/)
    await finished(coord, ids)

    const held = await leasesHeld(coord)
    expect(held.count).toBeGreaterThan(0)
    // Some leases were made while the device already held one; none beyond two.
    expect(held.le(1)).toBeLessThan(held.count)
    expect(held.le(2)).toBe(held.count)
    expect(await mostAtOnce(coord)).toBeGreaterThanOrEqual(2)
    expect(worker.output()).toMatch(/assigned \(\d+ rows, instance \d+, 2 of 2 slots\)/)
    expect(worker.output()).not.toMatch(/refused: holds/)
    await coord.kill()
  }, 240_000)

  it('at the default limit of 1 a worker asking for 2 slots gets 1 and never holds more than one lease', async () => {
    const coord = await startCoordinator({ env: ENV })
    const ids = await twoJobs(coord)
    const worker = await startWorker(coord.url, { name: 'one-slot', extra: ['--slots', '2'] })
    await worker.waitFor(/joined as \S+ with 1 task slot\b/)
    // Logged right after the line above, but it may reach this process in a later chunk.
    await worker.waitFor(/coordinator notice: asked for 2 task slots; this coordinator allows at most 1 tasks in flight per device \(NIMBLE_DEVICE_MAX_TASKS\)/)
    await finished(coord, ids)

    const held = await leasesHeld(coord)
    // Both jobs' tasks (4 rounds each) went through this one device, one at a time.
    expect(held.count).toBeGreaterThanOrEqual(8)
    expect(held.le(1)).toBe(held.count)
    expect(worker.output()).not.toMatch(/of \d+ slots\)/)
    await coord.kill()
  }, 240_000)
})
