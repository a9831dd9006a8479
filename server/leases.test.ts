/**
 * Leases freed together (Leases.releaseDevice, expire), on a real store; the PostgreSQL pass
 * (NIMBLE_TEST_DATABASE_URL) runs the same cases there. A device that leaves frees only the
 * leases it held; a task goes back to the queue unless a spare copy of it is still running;
 * each freed lease and readied task is logged once.
 */
import fs from 'node:fs'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { BlobStore } from './blobs'
import { Bus } from './bus'
import { Cluster } from './cluster'
import { loadConfig } from './config'
import type { Ctx } from './context'
import { Leases } from './leases'
import { Registry } from './registry'
import type { Store } from './store/db'
import { tempDir } from './testing/harness'
import { openOwnStore } from './testing/store'

const HASH = '0'.repeat(64)
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A store with one job and a leased task per entry of `leases` (its holders: the first copy, then spares). */
async function world(leases: string[][]) {
  const dir = tempDir('nimble-leases-')
  const db: Store = await openOwnStore(dir)
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  cleanups.push(() => db.destroy())
  const config = loadConfig({ NIMBLE_DATA_DIR: dir, NIMBLE_CHAIN: 'off' })
  const lines: { entity?: string; from?: string; to?: string }[] = []
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) })
  const ctx: Ctx = { db, blobs: new BlobStore(config.blobDir), bus: new Bus(), log, config, now: Date.now, cluster: new Cluster(db, Date.now), durable: async () => {} }
  const now = Date.now()
  await db.insertInto('datasets').values({ id: 'ds', name: 'ds', rows: 1, bytes: 8, columns_json: '[]', preview_json: '[]', blob_hash: HASH, created_at: now }).execute()
  await db.insertInto('jobs').values({ id: 'job', name: 'job', type: 'infer', status: 'running', dataset_id: 'ds', request_json: '{}', plan_json: null, round: 0, total_rounds: 1, weights_hash: null, metrics_json: null, test_json: null, error: null, created_at: now, updated_at: now, outer_hash: null, best_json: null, validation_json: null, outputs_hash: null, budget: null, deadline: null, estimate_json: null }).execute()
  const tasks: { id: number; instances: number[] }[] = []
  for (const [shard, holders] of leases.entries()) {
    const t = await db.insertInto('tasks').values({ job_id: 'job', round: 1, shard, rows: 1, state: 'leased', payload_json: '{}', flops: 1, attempts: 1, result_hash: null, created_at: now, updated_at: now, spares: holders.length - 1 }).returning('id').executeTakeFirstOrThrow()
    const instances: number[] = []
    for (const [k, device] of holders.entries()) {
      const deadline = device.startsWith('late') ? now - 1000 : now + 60_000
      const i = await db.insertInto('instances').values({ task_id: t.id, job_id: 'job', device_id: device, state: 'leased', leased_at: now - 2000, deadline, spare: k > 0 ? 1 : 0 }).returning('id').executeTakeFirstOrThrow()
      instances.push(Number(i.id))
    }
    tasks.push({ id: Number(t.id), instances })
  }
  const states = async () => ({
    tasks: (await db.selectFrom('tasks').select(['id', 'state']).orderBy('id').execute()).map((t) => t.state),
    instances: (await db.selectFrom('instances').select(['id', 'state']).orderBy('id').execute()).map((i) => i.state),
  })
  return { db, ctx, tasks, states, lines, leases: new Leases(ctx, new Registry()) }
}

describe('leases freed together', () => {
  it('a device that leaves frees its own leases; a task with a spare still running stays leased', async () => {
    // d1 holds three tasks; the second has a spare on d2; the fourth task is d2's alone.
    const w = await world([['d1'], ['d1', 'd2'], ['d1'], ['d2']])
    let readyEvents = 0
    w.ctx.bus.on('tasks:ready', () => readyEvents++)
    // d1's session also names d2's lease (as a hostile or stale list could): it is not d1's to free.
    const freed = await w.leases.releaseDevice('d1', [w.tasks[0].instances[0], w.tasks[1].instances[0], w.tasks[2].instances[0], w.tasks[3].instances[0]])
    expect(freed).toBe(3)
    expect(await w.states()).toEqual({
      tasks: ['ready', 'leased', 'ready', 'leased'],
      instances: ['abandoned', 'abandoned', 'leased', 'abandoned', 'leased'],
    })
    expect(readyEvents).toBe(1)
    const moved = (entity: string, to: string) => w.lines.filter((l) => l.entity === entity && l.from === 'leased' && l.to === to).length
    expect(moved('instance', 'abandoned')).toBe(3)
    // Two tasks back in the queue, logged once each; the one whose spare runs is not.
    expect(moved('task', 'ready')).toBe(2)
    // Freeing again frees nothing.
    expect(await w.leases.releaseDevice('d1', [w.tasks[0].instances[0]])).toBe(0)
  })

  it('devices that leave in the same turn are freed together, each told how many of its leases were freed', async () => {
    const w = await world([['d1'], ['d1'], ['d2'], ['d3'], ['d2', 'd1']])
    const [n1, n2, n3] = await Promise.all([
      w.leases.releaseDevice('d1', [w.tasks[0].instances[0], w.tasks[1].instances[0], w.tasks[4].instances[1]]),
      w.leases.releaseDevice('d2', [w.tasks[2].instances[0], w.tasks[4].instances[0]]),
      // d3 leaves holding nothing (its task stays leased: no session named it).
      w.leases.releaseDevice('d3', []),
    ])
    expect([n1, n2, n3]).toEqual([3, 2, 0])
    // Both copies of the last task went: it is back in the queue; d3's task was never named.
    expect((await w.states()).tasks).toEqual(['ready', 'ready', 'ready', 'leased', 'ready'])
  })

  it('leases past their deadline expire together, and count against their devices', async () => {
    const w = await world([['late-1'], ['late-1'], ['d1', 'late-2'], ['d2']])
    await w.db.insertInto('devices').values(['late-1', 'late-2'].map((id) => ({ id, name: id, kind: 'headless', backend: 'cpu', gflops: 1, profile_json: '{}', first_seen: 0, last_seen: 0 }))).execute()
    expect(await w.leases.expire()).toBe(3)
    expect(await w.states()).toEqual({
      tasks: ['ready', 'ready', 'leased', 'leased'],
      instances: ['expired', 'expired', 'leased', 'expired', 'leased'],
    })
    const devices = await w.db.selectFrom('devices').select(['id', 'tasks_expired']).orderBy('id').execute()
    expect(devices.map((d) => [d.id, d.tasks_expired])).toEqual([
      ['late-1', 2],
      ['late-2', 1],
    ])
  })
})
