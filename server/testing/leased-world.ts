/**
 * A store of a test's own with one running tiny job (server/testing/tiny-job.ts) whose tasks are
 * already leased, and the coordinator context around it, without sockets or a dispatcher: for
 * tests of what becomes of leases (server/leases.test.ts) and of results
 * (server/validator-batch.test.ts). SQLite, or a new PostgreSQL database in the PostgreSQL pass
 * (NIMBLE_TEST_DATABASE_URL). Removed when the test ends.
 */
import fs from 'node:fs'
import type { Logger } from 'pino'
import { onTestFinished } from 'vitest'
import { BlobStore } from '../blobs'
import { Bus } from '../bus'
import { Cluster } from '../cluster'
import { loadConfig } from '../config'
import type { Ctx } from '../context'
import { createLogger } from '../log'
import { tempDir } from './harness'
import { openOwnStore } from './store'
import { seedTinyJobs, tinyTasks } from './tiny-job'

/** The job every task of a leased world belongs to. */
export const LEASED_JOB = 'job'

/** A leased task: its id, and its copies' instance ids in the order of their holders (the first copy, then spares). */
export type LeasedTask = { id: number; instances: number[]; holders: string[] }

/**
 * One leased task per entry of `leases`, each entry naming its holders: the first copy, then
 * its spares (counted on the task, as the dispatcher leases them). A holder whose name begins
 * with `late` is past its deadline. `devices` get rows of their own (with counters at zero);
 * `env` is more configuration, `log` the context's logger (silent by default). `task`: columns
 * of every task other than the tiny job's (its payload, its flops).
 */
export async function leasedWorld(opts: { leases: string[][]; devices?: string[]; env?: Record<string, string>; log?: Logger; task?: { payload_json?: string; flops?: number } }) {
  const dir = tempDir('nimble-leased-')
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }))
  const db = await openOwnStore(dir)
  onTestFinished(() => db.destroy())
  const config = loadConfig({ NIMBLE_DATA_DIR: dir, NIMBLE_CHAIN: 'off', ...opts.env })
  const ctx: Ctx = { db, blobs: new BlobStore(config.blobDir), bus: new Bus(), log: opts.log ?? createLogger('silent'), config, now: Date.now, cluster: new Cluster(db, Date.now), durable: async () => {} }
  await seedTinyJobs(db, { datasetId: 'ds', jobIds: [LEASED_JOB], totalRounds: 1 })
  const now = Date.now()
  if (opts.devices?.length) await db.insertInto('devices').values(opts.devices.map((id) => ({ id, name: id, kind: 'headless', backend: 'cpu', gflops: 1, profile_json: '{}', first_seen: now, last_seen: now }))).execute()
  const rows = tinyTasks(LEASED_JOB, opts.leases.length, 0)
  const tasks: LeasedTask[] = []
  for (const [k, holders] of opts.leases.entries()) {
    const t = await db.insertInto('tasks').values({ ...rows[k], ...opts.task, state: 'leased', attempts: 1, spares: holders.length - 1 }).returning('id').executeTakeFirstOrThrow()
    const instances: number[] = []
    for (const [copy, device] of holders.entries()) {
      const deadline = device.startsWith('late') ? now - 1000 : now + 60_000
      const i = await db.insertInto('instances').values({ task_id: t.id, job_id: LEASED_JOB, device_id: device, state: 'leased', leased_at: now - 2000, deadline, price_per_s: 0.5, spare: copy > 0 ? 1 : 0 }).returning('id').executeTakeFirstOrThrow()
      instances.push(Number(i.id))
    }
    tasks.push({ id: Number(t.id), instances, holders })
  }
  /** Every task's state and every instance's, in id order. */
  const states = async () => ({
    tasks: (await db.selectFrom('tasks').select(['id', 'state']).orderBy('id').execute()).map((t) => t.state),
    instances: (await db.selectFrom('instances').select(['id', 'state']).orderBy('id').execute()).map((i) => i.state),
  })
  return { db, ctx, tasks, states }
}
