/**
 * A training result that did not move from its starting weights, for a task too costly for the
 * coordinator to run itself (Validator.unmoved): it is neither refused nor accepted on its own
 * word. Another device's copy decides, on a real store (and on PostgreSQL in that pass).
 */
import { describe, expect, it } from 'vitest'
import { packTensors, type TaskResultMeta } from '../lib/protocol'
import { BlobStore } from './blobs'
import { Registry } from './registry'
import { deviceSession } from './testing/devices'
import { LEASED_JOB, leasedWorld } from './testing/leased-world'
import { Validator } from './validator'

const weights = (...v: number[]) => new Uint8Array(packTensors([{ name: 'w', shape: [v.length], data: Float32Array.from(v) }]))
/** The weights every copy starts from. */
const BASE = weights(10, 10)
const MODEL = { template: 'logistic', task: 'classification', inputShape: [1], inputSize: 1, outputSize: 1, hidden: [], activation: 'relu', dropout: 0, filters: [] }
const blob = (bytes: Uint8Array) => ({ hash: BlobStore.hash(bytes), bytes: bytes.byteLength, url: `/api/blobs/${BlobStore.hash(bytes)}` })
/** A training task of 1e12 flops: more than NIMBLE_SPOT_MAX_FLOPS (2e9), so the coordinator cannot run it. */
const TASK = { payload_json: JSON.stringify({ kind: 'train', model: MODEL, weights: blob(BASE), data: blob(BASE), shapes: [{ name: 'w', shape: [2] }], memoryBytes: 1024 }), flops: 1e12 }

/** One leased training task on d1; d2 and d3 are connected too. Replication is off: only the unmoved result asks for a copy. */
async function world() {
  const w = await leasedWorld({ leases: [['d1']], devices: ['d1', 'd2', 'd3'], task: TASK, env: { NIMBLE_REPLICATION: 'off', NIMBLE_SPOT_CHECK_RATE: '0', NIMBLE_CANARY_RATE: '0' } })
  w.ctx.blobs.put(BASE)
  const taskId = w.tasks[0].id
  const meta = (instanceId: number): TaskResultMeta => ({ instanceId, taskId, loss: 0.5, elapsedMs: 10, backend: 'cpu' })
  /** Another copy of the task leased to `device`, as the dispatcher leases one when the task is ready again. */
  const lease = async (device: string) => {
    const now = Date.now()
    const i = await w.db.insertInto('instances').values({ task_id: taskId, job_id: LEASED_JOB, device_id: device, state: 'leased', leased_at: now - 1000, deadline: now + 60_000, price_per_s: 0.5 }).returning('id').executeTakeFirstOrThrow()
    expect(Number((await w.db.updateTable('tasks').set({ state: 'leased' }).where('id', '=', taskId).where('state', '=', 'ready').executeTakeFirst()).numUpdatedRows)).toBe(1)
    return Number(i.id)
  }
  const task = () => w.db.selectFrom('tasks').select(['state', 'replicas', 'verdict']).where('id', '=', taskId).executeTakeFirstOrThrow()
  const copies = async () => (await w.db.selectFrom('instances').select(['device_id', 'state']).orderBy('id').execute()).map((i) => `${i.device_id}:${i.state}`)
  const counters = async () => Object.fromEntries((await w.db.selectFrom('devices').select(['id', 'tasks_valid', 'tasks_invalid']).orderBy('id').execute()).map((d) => [d.id, [d.tasks_valid, d.tasks_invalid]]))
  const credited = async () => (await w.db.selectFrom('credits').select('device_id').orderBy('device_id').execute()).map((c) => c.device_id)
  return { ...w, validator: new Validator(w.ctx), meta, lease, task, copies, counters, credited }
}

describe('an unmoved result of a task the coordinator cannot run', () => {
  it('waits for another device instead of being refused; a second copy that did not move either agrees, and both are paid', async () => {
    const w = await world()
    const first = await w.validator.submit('d1', w.meta(w.tasks[0].instances[0]), BASE)
    expect(first.accepted).toBe(false)
    // Not refused, not counted against d1: waiting for a copy from another device.
    expect(await w.task()).toEqual({ state: 'ready', replicas: 2, verdict: null })
    expect(await w.copies()).toEqual(['d1:pending'])
    expect((await w.counters()).d1).toEqual([0, 0])
    expect(await w.credited()).toEqual([])

    // d2's copy: its rounding differs from d1's, but it did not move either.
    const second = await w.validator.submit('d2', w.meta(await w.lease('d2')), weights(10 + 2e-6, 10))
    expect(second.accepted).toBe(true)
    expect(await w.task()).toMatchObject({ state: 'done', verdict: 'agreed' })
    expect(await w.copies()).toEqual(['d1:valid', 'd2:valid'])
    expect(await w.credited()).toEqual(['d1', 'd2'])
  })

  it('a lazy copy is outvoted by two trained ones, and only then counted against its device', async () => {
    const w = await world()
    expect((await w.validator.submit('d1', w.meta(w.tasks[0].instances[0]), BASE)).accepted).toBe(false)
    // A trained copy disagrees with it: a third decides.
    expect((await w.validator.submit('d2', w.meta(await w.lease('d2')), weights(10.5, 9.5))).accepted).toBe(false)
    expect(await w.task()).toMatchObject({ state: 'ready', replicas: 2 })
    expect((await w.counters()).d1).toEqual([0, 0])
    expect((await w.validator.submit('d3', w.meta(await w.lease('d3')), weights(10.5, 9.5000001))).accepted).toBe(true)
    expect(await w.task()).toMatchObject({ state: 'done', verdict: 'majority' })
    expect(await w.copies()).toEqual(['d1:invalid', 'd2:valid', 'd3:valid'])
    expect(await w.counters()).toEqual({ d1: [0, 1], d2: [1, 0], d3: [1, 0] })
    expect(await w.credited()).toEqual(['d2', 'd3'])
  })

  it('is used unreplicated when no other device could ever run a copy (waiting would stall the job for good)', async () => {
    const w = await world()
    // d1 is the only device online.
    const registry = new Registry()
    registry.add(deviceSession('d1', { leases: new Set([w.tasks[0].instances[0]]) }))
    const r = await new Validator(w.ctx, registry).submit('d1', w.meta(w.tasks[0].instances[0]), BASE)
    expect(r.accepted).toBe(true)
    expect(await w.task()).toMatchObject({ state: 'done', verdict: 'unreplicated' })
    expect(await w.copies()).toEqual(['d1:valid'])
    expect((await w.counters()).d1).toEqual([1, 0])
  })
})
