/**
 * Bad input never crashes the coordinator or disturbs honest work: malformed uploads get a
 * clear error with a stable code, malformed socket messages get the socket dropped with a
 * reason, and wrong-shaped or non-finite results are rejected and the task redone elsewhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { io, type Socket } from 'socket.io-client'
import { packTensors, PROTOCOL_VERSION, type Task } from '../../lib/protocol'
import { irisCsv } from '../testing/iris'
import { startCoordinator, startWorker, stopAll, waitForJob, waitUntil, type Coord } from '../testing/harness'

let coord: Coord
const iris = irisCsv()

beforeAll(async () => {
  // A short lease: a silent device's task goes to someone else within seconds.
  coord = await startCoordinator({ env: { NIMBLE_MAX_UPLOAD_BYTES: '8192', NIMBLE_LEASE_MS: '5000' } })
}, 120_000)
afterAll(stopAll)

const profile = { kind: 'headless', backend: 'cpu', benchmarks: [{ backend: 'cpu', gflops: 1000, size: 256 }], adapter: null, memoryBudget: 1e9 }

function connect(): Socket {
  return io(`${coord.url}/devices`, { transports: ['websocket'], reconnection: false })
}

function dropped(s: Socket): Promise<{ code: string; message: string }> {
  return new Promise((resolve, reject) => {
    let err: { code: string; message: string } | null = null
    s.on('device:error', (e) => (err = e))
    s.on('disconnect', () => (err ? resolve(err) : reject(new Error('dropped without a reason'))))
    setTimeout(() => reject(new Error('not dropped')), 10_000)
  })
}

describe('REST input errors', () => {
  const cases: [string, string, unknown, number, string, string?][] = [
    ['empty CSV', '/api/datasets', '', 422, 'empty_csv'],
    ['ragged CSV', '/api/datasets', 'a,b\n1,2\n3,4,5\n', 422, 'invalid_csv', 'line 3'],
    ['header only', '/api/datasets', 'a,b\n', 422, 'empty_csv'],
    ['too large', '/api/datasets', 'a,b\n' + '1,2\n'.repeat(5000), 413, 'payload_too_large'],
  ]
  for (const [name, path, body, status, code, field] of cases) {
    it(`refuses ${name}`, async () => {
      const r = await coord.api.call('POST', path, body)
      expect(r.status).toBe(status)
      expect(r.body.error.code).toBe(code)
      expect(r.body.error.message.length).toBeGreaterThan(10)
      if (field) expect(r.body.error.field).toBe(field)
    })
  }

  it('names the unknown target, the unknown template and text where numbers are needed', async () => {
    const ds = await coord.api.call('POST', '/api/datasets', iris.train)
    expect(ds.status).toBe(201)
    const noTarget = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'colour', model: { template: 'logistic' } })
    expect([noTarget.status, noTarget.body.error.code, noTarget.body.error.field]).toEqual([422, 'unknown_column', 'target'])
    expect(noTarget.body.error.message).toContain('petal_length')
    const badTemplate = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'transformer' } })
    expect([badTemplate.status, badTemplate.body.error.code]).toEqual([422, 'unknown_template'])
    const badEpochs = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'mlp' }, epochs: -3 })
    expect([badEpochs.status, badEpochs.body.error.field]).toEqual([422, 'epochs'])
    const noAuth = await fetch(`${coord.url}/api/jobs`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
    expect(noAuth.status).toBe(401)
    expect((await noAuth.json()).error.code).toBe('unauthorized')
    const missing = await coord.api.call('GET', '/api/jobs/job_doesnotexist')
    expect([missing.status, missing.body.error.code]).toEqual([404, 'not_found'])
  })
})

describe('hostile devices', () => {
  it('drops a socket that sends a malformed hello or an unknown event, and keeps serving others', async () => {
    const a = connect()
    const why = dropped(a)
    a.emit('device:hello', { protocolVersion: PROTOCOL_VERSION, name: 'x', profile: { backend: 'quantum' } }, () => {})
    expect((await why).code).toBe('invalid_message')
    const b = connect()
    const why2 = dropped(b)
    b.emit('steal:everything', { please: true })
    expect((await why2).code).toBe('invalid_message')
    expect((await coord.api.call('GET', '/api/health')).body.ok).toBe(true)
  })

  it('rejects wrong-shaped and non-finite results; the task is redone by an honest worker and the job succeeds', async () => {
    // The cheater joins first and claims to be very fast, so it gets work.
    const cheat = connect()
    const tasks: Task[] = []
    cheat.on('task:assign', (t: Task) => tasks.push(t))
    await new Promise<void>((resolve) => cheat.emit('device:hello', { protocolVersion: PROTOCOL_VERSION, name: 'cheat', profile }, () => resolve()))
    const ds = await coord.api.call('POST', '/api/datasets', iris.train)
    const job = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'logistic' }, epochs: 15 })
    expect(job.status).toBe(201)
    await waitUntil(async () => tasks.length > 0, 20_000, 'a task for the cheater')
    const t = tasks[0]
    const wrongShape = packTensors([{ name: 'dense_0/kernel', shape: [2, 2], data: new Float32Array(4) }])
    const ack1: any = await cheat.timeout(10_000).emitWithAck('task:result', { instanceId: t.instanceId, taskId: t.taskId, loss: 0.01, elapsedMs: 1, backend: 'cpu' }, wrongShape)
    expect(ack1.ok).toBe(false)
    expect(ack1.error.code).toBe('invalid_result')
    // Replaying against the same lease is refused: it is no longer live.
    const nan = packTensors([
      { name: 'dense_0/kernel', shape: [4, 3], data: new Float32Array(12).fill(NaN) },
      { name: 'dense_0/bias', shape: [3], data: new Float32Array(3) },
    ])
    const ack2: any = await cheat.timeout(10_000).emitWithAck('task:result', { instanceId: t.instanceId, taskId: t.taskId, loss: 0.01, elapsedMs: 1, backend: 'cpu' }, nan)
    expect(ack2.error.code).toBe('stale_lease')
    // An honest worker joins; the cheater keeps sending NaNs for whatever it gets.
    cheat.on('task:assign', async (t2: Task) => {
      const r: any = await cheat.timeout(10_000).emitWithAck('task:result', { instanceId: t2.instanceId, taskId: t2.taskId, loss: 0, elapsedMs: 1, backend: 'cpu' }, nan)
      expect(r.error.code).toBe('invalid_result')
    })
    await startWorker(coord.url, { name: 'honest' })
    const done = await waitForJob(coord, job.body.id, 120_000, 'job to succeed')
    expect(done.devices.map((d: { name: string }) => d.name)).toEqual(['honest'])
    expect(done.tasks.reassigned).toBeGreaterThanOrEqual(1)
    expect(done.metrics.valAccuracy).toBeGreaterThan(0.7)
    cheat.close()
  }, 150_000)

  it('lowers the memory budget of a device that runs out of memory, and measures its round-trip time', async () => {
    const dev = connect()
    const tasks: Task[] = []
    dev.on('task:assign', (t: Task) => tasks.push(t))
    dev.on('device:ping', (sentAt: number, ack: (t: number) => void) => ack(sentAt))
    const big = { ...profile, memoryBudget: 2 ** 30 }
    const hello: any = await dev.timeout(10_000).emitWithAck('device:hello', { protocolVersion: PROTOCOL_VERSION, name: 'oom', profile: big })
    expect(hello.ok).toBe(true)
    const ds = await coord.api.call('POST', '/api/datasets', iris.train)
    const job = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'mlp', hidden: [32] }, epochs: 2 })
    expect(job.status).toBe(201)
    await waitUntil(async () => tasks.length > 0, 20_000, 'a task for the device')
    dev.emit('task:failed', { instanceId: tasks[0].instanceId, message: 'GPUOutOfMemoryError: not enough memory', outOfMemory: true })
    const mine = await waitUntil(
      async () => {
        const d = (await coord.api.call('GET', '/api/network')).body.devices.find((x: { id: string }) => x.id === hello.deviceId)
        return d && d.memoryBudget < 2 ** 30 && d.rttMs !== null ? d : null
      },
      10_000,
      'the lowered budget',
    )
    expect(mine.memoryBudget).toBeGreaterThan(0)
    expect(mine.memoryBudget).toBeLessThan(2 ** 30)
    expect(mine.rttMs).toBeGreaterThanOrEqual(0)
    expect(mine.class).toBe('cpu-wasm')
    await coord.api.call('POST', `/api/jobs/${job.body.id}/cancel`)
    dev.close()
  }, 60_000)
})
