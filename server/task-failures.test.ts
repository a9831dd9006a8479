/**
 * Tasks that fail on devices (task:failed).
 *
 * A device that refuses a task as malformed is checked, not believed: the
 * coordinator parses the message it built for that lease. When the protocol refuses it, no
 * device could run it: the job fails at once naming the fault, and the device is not cooled
 * down. When it parses, the failure counts against the device as any other.
 * A task that fails NIMBLE_MAX_ATTEMPTS times fails its job with the last reason, and the
 * devices running the job's other tasks are told to drop them.
 * Real Socket.IO, real store, real dispatcher and validator (server/testing/devices.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { io as connect, type Socket } from 'socket.io-client'
import { PROTOCOL_VERSION, type DeviceClientToServer, type DeviceServerToClient, type Task } from '../lib/protocol'
import type { Store } from './store/db'
import type { Registry } from './registry'
import { startDevices } from './testing/devices'
import { seedTinyJobs, tinyTasks } from './testing/tiny-job'

type Client = Socket<DeviceServerToClient, DeviceClientToServer>

let devices: Awaited<ReturnType<typeof startDevices>>
let db: Store
let registry: Registry
let client: Client
const others: Client[] = []
let hello0: string | null = null

beforeAll(async () => {
  devices = await startDevices({ NIMBLE_DEVICE_MAX_TASKS: '3', NIMBLE_REPLICATION: 'off', NIMBLE_SPOT_CHECK_RATE: '0', NIMBLE_CANARY_RATE: '0', NIMBLE_STRAGGLER_FACTOR: '0', NIMBLE_MAX_ATTEMPTS: '2' })
  ;({ db, registry } = devices)
  await seedTinyJobs(db, { datasetId: 'ds', jobIds: ['good', 'bad'] })
  await seedTinyJobs(db, { datasetId: 'ds2', jobIds: ['tough'] })
})

afterAll(async () => {
  client?.disconnect()
  for (const c of others) c.disconnect()
  await devices.close()
})

const jobOf = (id: string) => db.selectFrom('jobs').select(['status', 'error']).where('id', '=', id).executeTakeFirstOrThrow()

describe('a task refused as malformed', () => {
  it('fails its job at once when the coordinator built it malformed (its other leases cancelled), without cooling the device down; a well-formed one refused counts against the device', async () => {
    const [good] = tinyTasks('good', 1, 0)
    const [bad, sibling] = tinyTasks('bad', 2, 0)
    // A blob reference whose hash is no sha256 digest: the dispatcher leases it, the protocol refuses it.
    const payload = JSON.parse(bad.payload_json as string)
    payload.data = { ...payload.data, hash: 'not-a-digest', url: '/api/blobs/not-a-digest' }
    await db.insertInto('tasks').values([good, { ...bad, payload_json: JSON.stringify(payload) }, sibling]).execute()

    client = connect(devices.url, { transports: ['websocket'], reconnection: false })
    const got: Task[] = []
    client.on('task:assign', (t) => got.push(t))
    client.on('task:batch', (ts) => got.push(...ts))
    const cancelled: { instanceId: number; reason: string }[] = []
    client.on('task:cancel', (c) => cancelled.push(c))
    const hello = await client.timeout(10_000).emitWithAck('device:hello', {
      protocolVersion: PROTOCOL_VERSION,
      name: 'refuser',
      profile: { kind: 'headless', backend: 'cpu', benchmarks: [{ backend: 'cpu', gflops: 1, size: 256 }], adapter: null, memoryBudget: 1e9 },
      slots: 3,
    })
    if (!hello.ok) throw new Error(hello.error.message)
    hello0 = hello.deviceId
    await expect.poll(() => got.length).toBe(3)
    const goodTask = got.find((t) => t.jobId === 'good')!
    const badTask = got.find((t) => t.jobId === 'bad' && t.kind === 'infer' && t.data.hash === 'not-a-digest')!
    const siblingTask = got.find((t) => t.jobId === 'bad' && t !== badTask)!
    const session = registry.get(hello.deviceId)!

    // The well-formed task, refused: the device's fault (a failure, a cool-down), and its job goes on.
    client.emit('task:failed', { instanceId: goodTask.instanceId, message: 'Task did not match the protocol' })
    await expect.poll(() => session.failures).toBe(1)
    expect(session.coolUntil).toBeGreaterThan(Date.now())
    expect((await jobOf('good')).status).toBe('running')

    // The malformed one: the job fails now, naming what is wrong with the message.
    client.emit('task:failed', { instanceId: badTask.instanceId, message: 'Task did not match the protocol' })
    await expect.poll(async () => (await jobOf('bad')).status).toBe('failed')
    expect((await jobOf('bad')).error).toMatch(/cannot run: the coordinator built a task message the protocol refuses \(data\.hash: expected a sha256 hex digest\); no device can run it/)
    const inst = await db.selectFrom('instances').select(['state', 'error']).where('id', '=', badTask.instanceId).executeTakeFirstOrThrow()
    expect(inst).toEqual({ state: 'failed', error: expect.stringContaining("the coordinator's task message is malformed: data.hash") })
    // The job's other lease is over too, and its device is told to drop it.
    expect(await db.selectFrom('instances').select('state').where('id', '=', siblingTask.instanceId).executeTakeFirstOrThrow()).toEqual({ state: 'cancelled' })
    await expect.poll(() => cancelled).toEqual([{ instanceId: siblingTask.instanceId, reason: 'job bad failed' }])
    expect(session.leases.has(siblingTask.instanceId)).toBe(false)
    // Neither task goes back to the queue.
    const states = await db.selectFrom('tasks').select('state').where('job_id', '=', 'bad').execute()
    expect(states.map((t) => t.state)).toEqual(['cancelled', 'cancelled'])
    // Not counted against the device: still the one failure of the well-formed task.
    expect(session.failures).toBe(1)
    expect((await jobOf('good')).status).toBe('running')
  })

  it('a task that fails NIMBLE_MAX_ATTEMPTS (2) times fails its job with the last reason; the device running its other task is told to drop it', async () => {
    const [x, y] = tinyTasks('tough', 2, 0)
    await db.insertInto('tasks').values([x, y]).execute()
    const [xId, yId] = (await db.selectFrom('tasks').select('id').where('job_id', '=', 'tough').orderBy('shard').execute()).map((r) => r.id)
    // Two more devices with a slot each (the first device holds the good job's task, and is cooling down).
    const sockets = new Map<string, Client>()
    const cancels: { device: string; instanceId: number; reason: string }[] = []
    for (const name of ['p', 'q']) {
      const c: Client = connect(devices.url, { transports: ['websocket'], reconnection: false })
      others.push(c)
      const res = await c.timeout(10_000).emitWithAck('device:hello', {
        protocolVersion: PROTOCOL_VERSION,
        name,
        profile: { kind: 'headless', backend: 'cpu', benchmarks: [{ backend: 'cpu', gflops: 1, size: 256 }], adapter: null, memoryBudget: 1e9 },
        slots: 1,
      })
      if (!res.ok) throw new Error(res.error.message)
      sockets.set(res.deviceId, c)
      c.on('task:cancel', (m) => cancels.push({ device: res.deviceId, ...m }))
    }
    sockets.set(hello0!, client)
    client.on('task:cancel', (m) => cancels.push({ device: hello0!, ...m }))
    const holderOf = async (taskId: number) => db.selectFrom('instances').select(['id', 'device_id']).where('task_id', '=', taskId).where('state', '=', 'leased').executeTakeFirst()
    // Whoever holds x fails it, twice.
    for (let k = 1; k <= 2; k++) {
      await expect.poll(() => holderOf(xId), { timeout: 10_000 }).toBeTruthy()
      const lease = (await holderOf(xId))!
      sockets.get(lease.device_id)!.emit('task:failed', { instanceId: lease.id, message: `out of luck ${k}` })
      await expect.poll(async () => (await db.selectFrom('instances').select('state').where('id', '=', lease.id).executeTakeFirstOrThrow()).state).toBe('failed')
    }
    await expect.poll(async () => (await jobOf('tough')).status).toBe('failed')
    expect((await jobOf('tough')).error).toBe(`task ${xId} (round 1, shard 0) failed 2 times; last reason: out of luck 2`)
    // y's lease is over, and its device was told.
    const yLease = await db.selectFrom('instances').select(['id', 'device_id', 'state']).where('task_id', '=', yId).executeTakeFirstOrThrow()
    expect(yLease.state).toBe('cancelled')
    await expect.poll(() => cancels.filter((c) => c.instanceId === yLease.id)).toEqual([{ device: yLease.device_id, instanceId: yLease.id, reason: 'job tough failed' }])
    expect(registry.get(yLease.device_id)!.leases.has(yLease.id)).toBe(false)
    expect((await db.selectFrom('tasks').select('state').where('job_id', '=', 'tough').execute()).map((t) => t.state)).toEqual(['cancelled', 'cancelled'])
  })
})
