/**
 * Verification end to end: 8 honest and 3 cheating headless workers (in this process, one
 * shared cpu backend) train Iris. Across three fleets every fault kind is tried. The final
 * model equals the all-honest fleet's; no invalid result is ever assimilated; every cheater
 * ends banned (device and wallet) with zero credit; each honest worker's credit equals the
 * FLOPs of its accepted task instances (canaries, known-answer copies of accepted tasks,
 * included).
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { io } from 'socket.io-client'
import { PROTOCOL_VERSION, unpackTensors } from '../../lib/protocol'
import { relativeL2 } from '../../lib/verify/compare'
import { TOLERANCE } from '../../lib/verify/tolerance'
import { BlobStore } from '../blobs'
import type { FaultKind } from '../worker/faults'
import { openStoreReadOnly, sharedSetup, startFleet, type FleetWorker } from '../testing/fleet'
import { startCoordinator, stopAll, waitUntil, type Coord } from '../testing/harness'
import { irisCsv } from '../testing/iris'
import { sqliteOnlySkipped } from '../testing/harness'

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

async function runFleet(faults: FaultKind[], until: (coord: Coord, fleet: FleetWorker[]) => boolean): Promise<Run> {
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
    if (until(coord, fleet)) break
  }
  const db = openStoreReadOnly(coord.dataDir)
  const hash = (db.prepare('select weights_hash from jobs where id = ?').get(jobIds[0]) as { weights_hash: string }).weights_hash
  db.close()
  const weights = unpackTensors(new BlobStore(path.join(coord.dataDir, 'blobs')).readArrayBuffer(hash)).map((t) => t.data)
  return { coord, fleet, weights, jobIds }
}

function bannedAll(coord: Coord, fleet: FleetWorker[]): boolean {
  const db = openStoreReadOnly(coord.dataDir)
  try {
    return fleet.filter((w) => w.fault).every((w) => db.prepare('select 1 from bans where subject = ?').get(`wallet:${w.address}`))
  } finally {
    db.close()
  }
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
  const r = await runFleet([], () => true)
  reference = r.weights
  await stopRun(r)
}, 150_000)
afterAll(stopAll)

const fleets: FaultKind[][] = [
  ['random', 'scaled', 'nan'],
  ['stale', 'lazy', 'copy'],
  ['slow', 'scaled', 'lazy'],
]

describe.skipIf(sqliteOnlySkipped(import.meta.url))('verification with cheating workers', () => {
  for (const faults of fleets) {
    it(`8 honest + ${faults.join(', ')}: honest model, cheaters banned and unpaid, honest credit = verified work`, async () => {
      const r = await runFleet(faults, bannedAll)
      try {
        const db = openStoreReadOnly(r.coord.dataDir)
        const devices = db.prepare('select id, name, address, banned_at, tasks_valid, tasks_invalid from devices').all() as { id: string; name: string; address: string; banned_at: number | null; tasks_valid: number; tasks_invalid: number }[]
        const byAddress = new Map(devices.map((d) => [d.address, d]))
        const credit = (id: string) => (db.prepare('select coalesce(sum(flops), 0) as f, count(*) as n from credits where device_id = ?').get(id) as { f: number; n: number })
        const verified = (id: string) =>
          (db.prepare("select coalesce(sum(t.flops), 0) as f, count(*) as n from instances i join tasks t on t.id = i.task_id where i.device_id = ? and i.state = 'valid'").get(id) as { f: number; n: number })

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
          expect(db.prepare('select 1 from bans where subject = ?').get(`wallet:${w.address}`), `${w.name} wallet banned`).toBeTruthy()
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
        const done = db.prepare("select id, result_hash from tasks where state = 'done' and round < 1000000").all() as { id: number; result_hash: string }[]
        expect(done.length).toBeGreaterThan(0)
        for (const t of done) {
          const valid = db.prepare("select device_id, result_hash from instances where task_id = ? and state = 'valid'").all(t.id) as { device_id: string; result_hash: string }[]
          expect(valid.length, `task ${t.id} has an accepted instance`).toBeGreaterThan(0)
          expect(valid.map((v) => v.result_hash)).toContain(t.result_hash)
          for (const v of valid) expect(honestIds.has(v.device_id), `task ${t.id} accepted from ${v.device_id}`).toBe(true)
        }
        // Canaries (known-answer copies of accepted tasks) were planted, and only honest devices passed any.
        const canaries = db.prepare("select t.id, i.device_id from tasks t join instances i on i.task_id = t.id where t.verdict = 'canary' and i.state = 'valid'").all() as { id: number; device_id: string }[]
        expect(Number((db.prepare("select count(*) as n from tasks where verdict = 'canary'").get() as { n: number }).n)).toBeGreaterThan(0)
        for (const c of canaries) expect(honestIds.has(c.device_id), `canary ${c.id} passed by ${c.device_id}`).toBe(true)
        db.close()
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
