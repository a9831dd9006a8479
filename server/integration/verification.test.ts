/**
 * Verification end to end: 8 honest and 3 cheating headless workers (in this process, one
 * shared cpu backend) train Iris. Across three fleets every fault kind is tried. The final
 * model equals the all-honest fleet's; no invalid result is ever assimilated; every cheater
 * ends banned (device and wallet) with zero credit; each honest worker's credit equals the
 * FLOPs of its accepted task instances (canaries, known-answer copies of accepted tasks,
 * included).
 */
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { io } from 'socket.io-client'
import { PROTOCOL_VERSION, unpackTensors } from '../../lib/protocol'
import { relativeL2 } from '../../lib/verify/compare'
import { TOLERANCE } from '../../lib/verify/tolerance'
import { BlobStore } from '../blobs'
import type { FaultKind } from '../worker/faults'
import { sharedSetup, startFleet, type FleetWorker } from '../testing/fleet'
import { startCoordinator, stopAll, waitUntil, type Coord } from '../testing/harness'
import { irisCsv } from '../testing/iris'
import { withTestStore } from '../testing/store'

const iris = irisCsv()
const JOB = { type: 'train', target: 'species', model: { template: 'mlp', hidden: [8] }, epochs: 6, validationSplit: 0.1, testSplit: 0, seed: 7, sharding: 'equal' } as const
const ENV = {
  NIMBLE_MAX_SHARDS: '8',
  NIMBLE_LEASE_MS: '4000',
  NIMBLE_TRUST_AFTER: '3',
  NIMBLE_REPLICATE_PROBABILITY: '0.3',
  NIMBLE_BAN_AFTER_INVALID: '2',
  NIMBLE_BAN_AFTER_EXPIRED: '2',
  NIMBLE_SPOT_CHECK_RATE: '0.2',
  NIMBLE_VERIFY_SEED: '1',
  NIMBLE_CANARY_RATE: '0.1',
}
const verbose = !!process.env.NIMBLE_TEST_VERBOSE

type Run = { coord: Coord; fleet: FleetWorker[]; weights: Float32Array[]; jobIds: string[] }

async function runFleet(faults: FaultKind[], until: (coord: Coord, fleet: FleetWorker[]) => Promise<boolean>): Promise<Run> {
  const coord = await startCoordinator({ env: ENV })
  const fleet = await startFleet(coord.url, 8, faults, { verbose })
  await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === fleet.length, 30_000, 'fleet online')
  const ds = await coord.api.call('POST', '/api/datasets', iris.train, { 'x-filename': 'iris.csv' })
  const jobIds: string[] = []
  // Train until the job is done and the cheaters are all banned (a second job if they were not yet caught).
  for (let n = 0; n < 8; n++) {
    const job = await coord.api.call('POST', '/api/jobs', { ...JOB, datasetId: ds.body.id })
    expect(job.status).toBe(201)
    jobIds.push(job.body.id)
    await waitUntil(
      async () => {
        const j = await coord.api.call('GET', `/api/jobs/${job.body.id}`)
        if (j.body.status === 'failed') throw new Error(`job failed: ${j.body.error}`)
        return j.body.status === 'succeeded'
      },
      90_000,
      'job to succeed',
    )
    if (await until(coord, fleet)) break
  }
  const { weights_hash: hash } = await withTestStore(coord.dataDir, (db) => db.selectFrom('jobs').select('weights_hash').where('id', '=', jobIds[0]).executeTakeFirstOrThrow())
  if (!hash) throw new Error(`job ${jobIds[0]} has no weights`)
  const weights = unpackTensors(new BlobStore(path.join(coord.dataDir, 'blobs')).readArrayBuffer(hash)).map((t) => t.data)
  return { coord, fleet, weights, jobIds }
}

async function bannedAll(coord: Coord, fleet: FleetWorker[]): Promise<boolean> {
  const wallets = fleet.filter((w) => w.fault).map((w) => `wallet:${w.address}`)
  if (wallets.length === 0) return true
  const banned = await withTestStore(coord.dataDir, (db) => db.selectFrom('bans').select('subject').where('subject', 'in', wallets).execute())
  return banned.length === new Set(wallets).size
}

/** Says hello as a fresh device paid to `address`; resolves with the coordinator's answer. */
function hello(url: string, address: string): Promise<{ ok: boolean; error?: { code: string; message: string } }> {
  const s = io(`${url}/devices`, { transports: ['websocket'], reconnection: false })
  const profile = { kind: 'headless', backend: 'cpu', benchmarks: [{ backend: 'cpu', gflops: 1, size: 256 }], adapter: null, memoryBudget: 1e8 }
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no answer to hello')), 10_000)
    s.emit('device:hello', { protocolVersion: PROTOCOL_VERSION, name: 'returning-cheater', address, profile }, (res: { ok: boolean; error?: { code: string; message: string } }) => {
      clearTimeout(t)
      s.disconnect()
      resolve(res)
    })
  })
}

async function stopRun(r: Run) {
  await Promise.all(r.fleet.map((w) => w.handle.stop()))
  await r.coord.kill()
}

let reference: Float32Array[]

beforeAll(async () => {
  await sharedSetup()
  const r = await runFleet([], async () => true)
  reference = r.weights
  await stopRun(r)
}, 150_000)
afterAll(stopAll)

const fleets: FaultKind[][] = [
  ['random', 'scaled', 'nan'],
  ['stale', 'lazy', 'copy'],
  ['slow', 'scaled', 'lazy'],
]

describe('verification with cheating workers', () => {
  for (const faults of fleets) {
    it(`8 honest + ${faults.join(', ')}: honest model, cheaters banned and unpaid, honest credit = verified work`, async () => {
      const r = await runFleet(faults, bannedAll)
      try {
        const facts = await withTestStore(r.coord.dataDir, async (db) => ({
          devices: await db.selectFrom('devices').select(['id', 'name', 'address', 'banned_at', 'tasks_valid', 'tasks_invalid']).execute(),
          bans: new Set((await db.selectFrom('bans').select('subject').execute()).map((b) => b.subject)),
          credit: await db.selectFrom('credits').select(['device_id', sql<number>`coalesce(sum(flops), 0)`.as('f'), sql<number>`count(*)`.as('n')]).groupBy('device_id').execute(),
          verified: await db
            .selectFrom('instances as i')
            .innerJoin('tasks as t', 't.id', 'i.task_id')
            .select(['i.device_id', sql<number>`coalesce(sum(t.flops), 0)`.as('f'), sql<number>`count(*)`.as('n')])
            .where('i.state', '=', 'valid')
            .groupBy('i.device_id')
            .execute(),
          done: await db.selectFrom('tasks').select(['id', 'result_hash']).where('state', '=', 'done').where('round', '<', 1000000).execute(),
          validInstances: await db.selectFrom('instances').select(['task_id', 'device_id', 'result_hash']).where('state', '=', 'valid').execute(),
          canaries: await db.selectFrom('tasks as t').innerJoin('instances as i', 'i.task_id', 't.id').select(['t.id', 'i.device_id']).where('t.verdict', '=', 'canary').where('i.state', '=', 'valid').execute(),
          canaryTasks: (await db.selectFrom('tasks').select(sql<number>`count(*)`.as('n')).where('verdict', '=', 'canary').executeTakeFirstOrThrow()).n,
        }))
        const byAddress = new Map(facts.devices.map((d) => [d.address, d]))
        const sums = (rows: { device_id: string; f: number; n: number }[], id: string) => {
          const row = rows.find((x) => x.device_id === id)
          return { f: Number(row?.f ?? 0), n: Number(row?.n ?? 0) }
        }
        const credit = (id: string) => sums(facts.credit, id)
        const verified = (id: string) => sums(facts.verified, id)

        // Same model as the all-honest fleet.
        const distance = relativeL2(
          r.weights.map((data, i) => ({ name: String(i), data })),
          reference.map((data, i) => ({ name: String(i), data })),
        )
        expect(distance).toBeLessThanOrEqual(TOLERANCE.output)

        // Every cheater: banned by device and wallet, no credit, no accepted instance.
        for (const w of r.fleet.filter((x) => x.fault)) {
          const d = byAddress.get(w.address)!
          expect(d, w.name).toBeDefined()
          expect(d.banned_at, `${w.name} banned`).not.toBeNull()
          expect(facts.bans.has(`wallet:${w.address}`), `${w.name} wallet banned`).toBe(true)
          expect(credit(d.id).n, `${w.name} credit`).toBe(0)
          expect(verified(d.id).n).toBe(0)
        }
        // Every honest worker: not banned, nothing rejected, credit equals its verified work.
        let honestWork = 0
        for (const w of r.fleet.filter((x) => !x.fault)) {
          const d = byAddress.get(w.address)
          if (!d) continue // never got work before the jobs ended
          expect(d.banned_at, `${w.name} not banned`).toBeNull()
          expect(d.tasks_invalid, `${w.name} rejected results`).toBe(0)
          const c = credit(d.id)
          const v = verified(d.id)
          expect(c.n).toBe(v.n)
          expect(c.f).toBeCloseTo(v.f, 3)
          honestWork += v.n
        }
        expect(honestWork).toBeGreaterThan(0)

        // No invalid result was ever assimilated: every done task's blob is a valid honest instance's.
        const honestIds = new Set(r.fleet.filter((x) => !x.fault).map((w) => byAddress.get(w.address)?.id))
        expect(facts.done.length).toBeGreaterThan(0)
        for (const t of facts.done) {
          const valid = facts.validInstances.filter((v) => v.task_id === t.id)
          expect(valid.length, `task ${t.id} has an accepted instance`).toBeGreaterThan(0)
          expect(valid.map((v) => v.result_hash)).toContain(t.result_hash)
          for (const v of valid) expect(honestIds.has(v.device_id), `task ${t.id} accepted from ${v.device_id}`).toBe(true)
        }
        // Canaries (known-answer copies of accepted tasks) were planted, and only honest devices passed any.
        expect(Number(facts.canaryTasks)).toBeGreaterThan(0)
        for (const c of facts.canaries) expect(honestIds.has(c.device_id), `canary ${c.id} passed by ${c.device_id}`).toBe(true)
        // The job page's verification figures saw the cheating.
        const views = await Promise.all(r.jobIds.map(async (id) => (await r.coord.api.call('GET', `/api/jobs/${id}`)).body.verification))
        const sum = (k: string) => views.reduce((a, v) => a + v[k], 0)
        expect(sum('replicated')).toBeGreaterThan(0)
        expect(sum('agreed')).toBeGreaterThan(0)
        if (!faults.includes('slow') || faults.length > 1) expect(sum('rejected')).toBeGreaterThan(0)
        const net = (await r.coord.api.call('GET', '/api/network')).body
        expect(net.trust.banned).toBe(faults.length)
        // A banned wallet cannot come back as a new device; an unknown one can.
        const back = await hello(r.coord.url, r.fleet.find((w) => w.fault)!.address)
        expect(back.ok).toBe(false)
        expect(back.error?.code).toBe('banned')
        expect(back.error?.message).toMatch(/wallet is banned/)
        expect((await hello(r.coord.url, '0x' + 'c'.repeat(40))).ok).toBe(true)
      } finally {
        await stopRun(r)
      }
    }, 200_000)
  }
})
