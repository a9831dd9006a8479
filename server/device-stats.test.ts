/**
 * A device's verification record (device:stats), read for many devices at once; the
 * PostgreSQL pass (NIMBLE_TEST_DATABASE_URL) runs the same cases there.
 */
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BlobStore } from './blobs'
import { Bus } from './bus'
import { Cluster } from './cluster'
import { loadConfig } from './config'
import type { Ctx } from './context'
import { devicesStats, StatsReader } from './device-stats'
import { createLogger } from './log'
import type { Store } from './store/db'
import { openOwnStore } from './testing/store'
import { tempDir } from './testing/harness'

let db: Store
let ctx: Ctx
const dir = tempDir('nimble-device-stats-')

beforeAll(async () => {
  db = await openOwnStore(dir)
  const config = loadConfig({ NIMBLE_DATA_DIR: dir, NIMBLE_CHAIN: 'off', NIMBLE_TRUST_AFTER: '3' })
  ctx = { db, blobs: new BlobStore(config.blobDir), bus: new Bus(), log: createLogger('silent'), config, now: Date.now, cluster: new Cluster(db, Date.now), durable: async () => {} }
  const now = Date.now()
  await db.insertInto('datasets').values({ id: 'ds', name: 'ds', rows: 1, bytes: 8, columns_json: '[]', preview_json: '[]', blob_hash: 'h', created_at: now }).execute()
  await db.insertInto('jobs').values({ id: 'job', name: 'job', type: 'infer', status: 'running', dataset_id: 'ds', request_json: '{}', plan_json: null, round: 0, total_rounds: 1, weights_hash: null, metrics_json: null, test_json: null, error: null, created_at: now, updated_at: now, outer_hash: null, best_json: null, validation_json: null, outputs_hash: null, budget: null, deadline: null, estimate_json: null }).execute()
  const devices = [
    { id: 'new', tasks_valid: 1, tasks_invalid: 0, trust_streak: 1, banned_at: null },
    { id: 'trusted', tasks_valid: 7, tasks_invalid: 1, trust_streak: 5, banned_at: null },
    { id: 'banned', tasks_valid: 2, tasks_invalid: 9, trust_streak: 0, banned_at: now },
  ]
  await db.insertInto('devices').values(devices.map((d) => ({ ...d, name: d.id, kind: 'headless', backend: 'cpu', gflops: 1, profile_json: '{}', first_seen: now, last_seen: now }))).execute()
  const t = await db.insertInto('tasks').values({ job_id: 'job', round: 1, shard: 0, rows: 1, state: 'leased', payload_json: '{}', flops: 1, attempts: 1, result_hash: null, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()
  // Two results of 'trusted' wait for their quorum; one of 'new' is already valid.
  for (const [device, state] of [['trusted', 'pending'], ['trusted', 'pending'], ['new', 'valid'], ['new', 'leased']] as const) {
    await db.insertInto('instances').values({ task_id: t.id, job_id: 'job', device_id: device, state, leased_at: now, deadline: now + 1000 }).execute()
  }
})
afterAll(async () => {
  await db.destroy()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('device stats', () => {
  it("reads each device's counts, pending results and trust tier in one go", async () => {
    const stats = await devicesStats(ctx, ['new', 'trusted', 'banned', 'nobody'])
    expect(Object.fromEntries(stats)).toEqual({
      new: { tasksDone: 1, tasksRejected: 0, tasksPending: 0, trust: 'new' },
      trusted: { tasksDone: 7, tasksRejected: 1, tasksPending: 2, trust: 'trusted' },
      banned: { tasksDone: 2, tasksRejected: 9, tasksPending: 0, trust: 'banned' },
    })
  })

  it('StatsReader answers every reader of one turn, a device asked for twice included, and null for an unknown one', async () => {
    const reader = new StatsReader(ctx)
    const [a, b, c, d] = await Promise.all([reader.read('trusted'), reader.read('new'), reader.read('trusted'), reader.read('nobody')])
    expect(a).toMatchObject({ tasksPending: 2, trust: 'trusted' })
    expect(c).toEqual(a)
    expect(b).toMatchObject({ tasksDone: 1, trust: 'new' })
    expect(d).toBeNull()
  })
})
