/**
 * Results settled together (Validator.submitBatch, Verifier.acceptAlone), on a real store; the
 * PostgreSQL pass (NIMBLE_TEST_DATABASE_URL) runs the same cases there. Results that arrive in
 * one turn and are each the only copy of their task are accepted in a few statements for the
 * lot; each still gets its own verdict, credit, cost and counters, and a bad one in the batch is
 * refused alone. A batch that loses a race writes nothing.
 */
import { describe, expect, it } from 'vitest'
import { packTensors, type TaskResultMeta } from '../lib/protocol'
import { BlobStore } from './blobs'
import { validations } from './metrics'
import { leasedWorld } from './testing/leased-world'
import { Validator } from './validator'
import { Raced, Verifier } from './verifier'

const HASH = '0'.repeat(64)
const result = (v: number) => new Uint8Array(packTensors([{ name: 'y', shape: [1, 1], data: Float32Array.of(v) }]))

/**
 * A leased world (server/testing/leased-world.ts) with `devices` connected and one leased task
 * per entry of `leases` (its holders: the first copy, then spares), every result verified alone
 * (no replication, spot checks or canaries). `held`: each task's first copy.
 */
async function world(devices: string[], leases: (string | string[])[]) {
  const w = await leasedWorld({ devices, leases: leases.map((l) => (typeof l === 'string' ? [l] : l)), env: { NIMBLE_REPLICATION: 'off', NIMBLE_SPOT_CHECK_RATE: '0', NIMBLE_CANARY_RATE: '0' } })
  return { ...w, held: w.tasks.map((t) => ({ taskId: t.id, instanceId: t.instances[0], deviceId: t.holders[0] })) }
}

const meta = (h: { taskId: number; instanceId: number }): TaskResultMeta => ({ instanceId: h.instanceId, taskId: h.taskId, loss: 0.25, elapsedMs: 12, backend: 'cpu' })
const outcomes = async () => Object.fromEntries((await validations.get()).values.map((v) => [String(v.labels.outcome), v.value]))

describe('results of one turn settled together', () => {
  it('each lone result gets its verdict, credit, cost and counters; a malformed and a stale one in the batch are refused alone', async () => {
    const { db, ctx, held } = await world(['d1', 'd2', 'd3'], ['d1', 'd2', 'd3', 'd3'])
    const validator = new Validator(ctx)
    const before = await outcomes()
    // In one turn: two good results, one of the wrong shape, and one for a lease d1 does not hold.
    const settled = await Promise.allSettled([
      validator.submit('d1', meta(held[0]), result(1)),
      validator.submit('d2', meta(held[1]), result(2)),
      validator.submit('d3', meta(held[2]), new Uint8Array(packTensors([{ name: 'y', shape: [2, 1], data: Float32Array.of(1, 2) }]))),
      validator.submit('d1', meta(held[3]), result(4)),
    ])
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected'])
    expect(settled[0]).toMatchObject({ value: { accepted: true, jobId: 'job', round: 1, flops: 1000 } })
    expect(settled[2]).toMatchObject({ reason: { code: 'invalid_result' } })
    expect(settled[3]).toMatchObject({ reason: { code: 'stale_lease' } })

    const tasks = await db.selectFrom('tasks').select(['id', 'state', 'verdict', 'replicas', 'result_hash']).orderBy('id').execute()
    expect(tasks.map((t) => [t.state, t.verdict])).toEqual([
      ['done', 'single'],
      ['done', 'single'],
      ['ready', null], // refused: someone else redoes it
      ['leased', null], // still d3's
    ])
    expect(tasks[0].replicas).toBe(1)
    expect(tasks[0].result_hash).toBe(BlobStore.hash(result(1)))
    expect(tasks[1].result_hash).toBe(BlobStore.hash(result(2)))
    expect(ctx.blobs.has(tasks[1].result_hash!)).toBe(true)

    const inst = await db.selectFrom('instances').select(['id', 'state', 'result_hash', 'elapsed_ms', 'result_bytes', 'reported_loss', 'cost', 'finished_at', 'leased_at']).orderBy('id').execute()
    expect(inst.map((i) => i.state)).toEqual(['valid', 'valid', 'invalid', 'leased'])
    for (const [k, i] of inst.slice(0, 2).entries()) {
      expect(i).toMatchObject({ result_hash: BlobStore.hash(result(k + 1)), elapsed_ms: 12, result_bytes: result(1).byteLength, reported_loss: 0.25 })
      // Cost is the device-time the coordinator saw at the lease's price, not what the device said.
      expect(i.cost).toBeCloseTo(((Number(i.finished_at) - Number(i.leased_at)) / 1000) * 0.5, 6)
      expect(i.cost!).toBeGreaterThan(0.9)
    }
    const credits = await db.selectFrom('credits').select(['instance_id', 'task_id', 'device_id', 'flops']).orderBy('instance_id').execute()
    expect(credits.map((c) => [Number(c.instance_id), Number(c.task_id), c.device_id, c.flops])).toEqual([
      [held[0].instanceId, held[0].taskId, 'd1', 1000],
      [held[1].instanceId, held[1].taskId, 'd2', 1000],
    ])
    const devices = await db.selectFrom('devices').select(['id', 'tasks_valid', 'tasks_invalid', 'trust_streak']).orderBy('id').execute()
    expect(devices.map((d) => [d.id, d.tasks_valid, d.tasks_invalid, d.trust_streak])).toEqual([
      ['d1', 1, 0, 1],
      ['d2', 1, 0, 1],
      ['d3', 0, 1, 0],
    ])
    // The two good ones went the batch's way: straight to valid, never waiting as 'pending'.
    const after = await outcomes()
    expect((after.valid ?? 0) - (before.valid ?? 0)).toBe(2)
    expect((after.pending ?? 0) - (before.pending ?? 0)).toBe(0)
  })

  it('a device returning several results in one turn is counted once per result', async () => {
    const { db, ctx, held } = await world(['d1'], ['d1', 'd1', 'd1'])
    const validator = new Validator(ctx)
    const ok = await Promise.all(held.map((h, k) => validator.submit('d1', meta(h), result(k))))
    expect(ok.every((r) => r.accepted)).toBe(true)
    expect(await db.selectFrom('devices').select(['tasks_valid', 'trust_streak']).executeTakeFirstOrThrow()).toEqual({ tasks_valid: 3, trust_streak: 3 })
    expect(await db.selectFrom('credits').select('instance_id').execute()).toHaveLength(3)
  })

  it('a task accepted in a batch has its spare copy cancelled; only tasks that had a spare are searched for copies', async () => {
    // The first task has a spare on d3, counted on its task as the dispatcher leases one.
    const { db, ctx, held, tasks } = await world(['d1', 'd2', 'd3'], [['d1', 'd3'], 'd2'])
    const spare = tasks[0].instances[1]
    const now = Date.now()
    // A second leased copy of the other task that no spare accounts for (which leasing never
    // makes): left alone, because the batch searches only tasks that had a spare.
    const stray = await db.insertInto('instances').values({ task_id: held[1].taskId, job_id: 'job', device_id: 'd3', state: 'leased', leased_at: now, deadline: now + 60_000, price_per_s: 0.5 }).returning('id').executeTakeFirstOrThrow()
    const validator = new Validator(ctx)
    const cancelled: [number, string][] = []
    validator.onCancelled = (instanceId, deviceId) => cancelled.push([instanceId, deviceId])
    const before = await outcomes()
    const ok = await Promise.all([validator.submit('d1', meta(held[0]), result(1)), validator.submit('d2', meta(held[1]), result(2))])
    expect(ok.map((r) => r.accepted)).toEqual([true, true])
    expect(((await outcomes()).valid ?? 0) - (before.valid ?? 0)).toBe(2) // the batch's way, not one by one
    expect(cancelled).toEqual([[spare, 'd3']])
    const states = Object.fromEntries((await db.selectFrom('instances').select(['id', 'state']).execute()).map((i) => [Number(i.id), i.state]))
    expect(states[spare]).toBe('cancelled')
    expect(states[Number(stray.id)]).toBe('leased')
  })

  it('acceptAlone writes nothing when one of its results raced a lapse: every result is accepted or none', async () => {
    const { db, ctx, held } = await world(['d1', 'd2'], ['d1', 'd2'])
    await db.updateTable('instances').set({ state: 'expired' }).where('id', '=', held[1].instanceId).execute()
    const tasks = await db.selectFrom('tasks').selectAll().orderBy('id').execute()
    const items = held.map((h, k) => ({ task: tasks[k], instanceId: h.instanceId, deviceId: h.deviceId, leasedAt: Date.now() - 2000, finishedAt: Date.now(), hash: HASH, bytes: 8, elapsedMs: 1, loss: null }))
    await expect(new Verifier(ctx).acceptAlone(items)).rejects.toBeInstanceOf(Raced)
    expect((await db.selectFrom('instances').select('state').orderBy('id').execute()).map((i) => i.state)).toEqual(['leased', 'expired'])
    expect((await db.selectFrom('tasks').select('state').orderBy('id').execute()).map((t) => t.state)).toEqual(['leased', 'leased'])
    expect(await db.selectFrom('credits').selectAll().execute()).toHaveLength(0)
    expect((await db.selectFrom('devices').select('tasks_valid').execute()).map((d) => d.tasks_valid)).toEqual([0, 0])
  })

  it('a device banned after its lease was read earns nothing: the batch writes nothing, and its result is then refused as banned', async () => {
    const { db, ctx, held } = await world(['d1', 'd2'], ['d1', 'd2'])
    const tasks = await db.selectFrom('tasks').selectAll().orderBy('id').execute()
    const items = held.map((h, k) => ({ task: tasks[k], instanceId: h.instanceId, deviceId: h.deviceId, leasedAt: Date.now() - 2000, finishedAt: Date.now(), hash: HASH, bytes: 8, elapsedMs: 1, loss: null }))
    // Banned between the batch's read and its write (its wallet's other device cheated, say).
    await db.updateTable('devices').set({ banned_at: Date.now(), ban_reason: 'test' }).where('id', '=', 'd2').execute()
    await expect(new Verifier(ctx).acceptAlone(items)).rejects.toBeInstanceOf(Raced)
    expect(await db.selectFrom('credits').selectAll().execute()).toHaveLength(0)
    expect((await db.selectFrom('instances').select('state').orderBy('id').execute()).map((i) => i.state)).toEqual(['leased', 'leased'])
    // Through the validator: d1's result is accepted, d2's is refused and earns nothing.
    const validator = new Validator(ctx)
    const [a, b] = await Promise.allSettled(held.map((h, k) => validator.submit(h.deviceId, meta(h), result(k))))
    expect(a).toMatchObject({ status: 'fulfilled', value: { accepted: true } })
    expect(b).toMatchObject({ status: 'rejected', reason: { code: 'banned' } })
    expect((await db.selectFrom('credits').select('device_id').execute()).map((c) => c.device_id)).toEqual(['d1'])
    expect(await db.selectFrom('devices').select(['id', 'tasks_valid', 'trust_streak']).orderBy('id').execute()).toEqual([
      { id: 'd1', tasks_valid: 1, trust_streak: 1 },
      { id: 'd2', tasks_valid: 0, trust_streak: 0 },
    ])
  })

  it('a turn of 300 results (statements of 256 rows and the rest) credits each once', async () => {
    const devices = Array.from({ length: 30 }, (_, i) => `d${String(i).padStart(2, '0')}`)
    const { db, ctx, held } = await world(devices, Array.from({ length: 300 }, (_, i) => devices[i % 30]))
    const validator = new Validator(ctx)
    const ok = await Promise.all(held.map((h, k) => validator.submit(h.deviceId, meta(h), result(k))))
    expect(ok.every((r) => r.accepted)).toBe(true)
    const credits = await db.selectFrom('credits').select(['instance_id', 'device_id']).execute()
    expect(new Set(credits.map((c) => Number(c.instance_id)))).toEqual(new Set(held.map((h) => h.instanceId)))
    expect(credits).toHaveLength(300)
    const tasks = await db.selectFrom('tasks').select(['id', 'state', 'result_hash']).orderBy('id').execute()
    expect(tasks.every((t, k) => t.state === 'done' && t.result_hash === BlobStore.hash(result(k)))).toBe(true)
    const counts = await db.selectFrom('devices').select(['tasks_valid', 'trust_streak']).execute()
    expect(counts.every((d) => d.tasks_valid === 10 && d.trust_streak === 10)).toBe(true)
  })
})
