/** The headless worker against a stand-in coordinator: hello, a task, progress, result, cancel, reconnect. */
import { createHash } from 'node:crypto'
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server, type Namespace, type Socket } from 'socket.io'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { buildModel, initialWeights, segmentLayersFromTopology, splitLayerWeights } from '../../lib/compute'
import { DeviceHello, packTensors, unpackTensors, type InferTask, type ModelSpec, type StageTask, type TaskResultMeta, type TrainTask } from '../../lib/protocol'
import { setupBackend, type BackendSetup } from './backends'
import { runWorker, type WorkerHandle } from './run'

const SPEC: ModelSpec = { template: 'mlp', task: 'classification', inputShape: [4], inputSize: 4, outputSize: 3, hidden: [8], activation: 'relu', dropout: 0, filters: [] }
const blobs = new Map<string, Buffer>()
let http: HttpServer
let io: Server
let devices: Namespace
let origin = ''
let setup: BackendSetup

function addBlob(buf: ArrayBuffer) {
  const body = Buffer.from(buf)
  const hash = createHash('sha256').update(body).digest('hex')
  blobs.set(hash, body)
  return { hash, bytes: body.byteLength, url: `/api/blobs/${hash}` }
}

function makeTask(instanceId: number, rows: number, localEpochs: number): TrainTask {
  const x = new Float32Array(rows * 4).map((_, i) => ((i * 7919) % 13) / 13 - 0.5)
  const y = new Float32Array(rows * 3)
  for (let r = 0; r < rows; r++) y[r * 3 + (r % 3)] = 1
  return {
    kind: 'train',
    instanceId,
    taskId: instanceId * 10,
    jobId: 'job',
    round: 2,
    shard: 0,
    model: SPEC,
    hyper: { localEpochs, batchSize: 8, learningRate: 0.01, optimizer: 'adam', seed: 1 },
    weights: addBlob(packTensors(initialWeights(SPEC, 1))),
    data: addBlob(packTensors([{ name: 'x', shape: [rows, 4], data: x }, { name: 'y', shape: [rows, 3], data: y }])),
    rows,
    deadline: Date.now() + 60_000,
  }
}

function nextHello(): Promise<{ socket: Socket; hello: DeviceHello }> {
  return new Promise((resolve) => {
    devices.once('connection', (socket) => {
      socket.once('device:hello', (raw: unknown, ack: (r: unknown) => void) => {
        const hello = DeviceHello.parse(raw)
        ack({ ok: true, deviceId: hello.deviceId ?? 'dev_test_0001' })
        resolve({ socket, hello })
      })
    })
  })
}

beforeAll(async () => {
  setup = await setupBackend('cpu')
  http = createServer((req, res) => {
    const body = blobs.get((req.url ?? '').split('/').pop() ?? '')
    if (!body) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body)
  })
  io = new Server(http, { maxHttpBufferSize: 16e6 })
  devices = io.of('/devices')
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve) => io.close(() => resolve()))
})

describe('runWorker', () => {
  let worker: WorkerHandle
  const lines: string[] = []

  afterAll(() => worker?.stop())

  it('says hello, trains an assigned task and returns the weights', async () => {
    const first = nextHello()
    worker = await runWorker({ server: origin, backend: 'cpu', name: 'test-box', setup, rejoinDelayMs: 50, memoryBudget: 8_000_000, log: (l) => lines.push(l) })
    const { socket, hello } = await first
    expect(hello.name).toBe('test-box')
    expect(hello.profile).toMatchObject({ kind: 'headless', backend: 'cpu', adapter: null, memoryBudget: 8_000_000 })
    expect(hello.deviceId).toBeUndefined()

    const progress: number[] = []
    socket.on('task:progress', (p: { fraction: number }) => progress.push(p.fraction))
    const result = new Promise<{ meta: TaskResultMeta; weights: Buffer }>((resolve) => {
      socket.on('task:result', (meta: TaskResultMeta, weights: Buffer, ack: (r: unknown) => void) => {
        ack({ ok: true })
        resolve({ meta, weights })
      })
    })
    socket.emit('task:assign', makeTask(1, 40, 3))
    const { meta, weights } = await result
    expect(meta).toMatchObject({ instanceId: 1, taskId: 10, backend: 'cpu' })
    expect(meta.loss).toBeGreaterThan(0)
    expect(unpackTensors(weights).map((t) => t.name)).toEqual(['dense_0/kernel', 'dense_0/bias', 'dense_1/kernel', 'dense_1/bias'])
    expect(progress.at(-1)).toBe(1)
    expect(worker.deviceId()).toBe('dev_test_0001')
    expect(lines.some((l) => /task 10 round 2 done in \d+ms loss \d/.test(l))).toBe(true)
  })

  it('runs an inference task and returns the outputs pack', async () => {
    const socket = [...devices.sockets.values()][0]
    const rows = 7
    const task: InferTask = {
      kind: 'infer',
      instanceId: 2,
      taskId: 20,
      jobId: 'job',
      shard: 1,
      model: SPEC,
      weights: addBlob(packTensors(initialWeights(SPEC, 1))),
      data: addBlob(packTensors([{ name: 'x', shape: [rows, 4], data: new Float32Array(rows * 4).map((_, i) => i / 10) }])),
      rows,
      deadline: Date.now() + 60_000,
    }
    const result = new Promise<{ meta: TaskResultMeta; body: Buffer }>((resolve) => {
      socket.once('task:result', (meta: TaskResultMeta, body: Buffer, ack: (r: unknown) => void) => {
        ack({ ok: true })
        resolve({ meta, body })
      })
    })
    socket.emit('task:assign', task)
    const { meta, body } = await result
    expect(meta).toMatchObject({ instanceId: 2, taskId: 20, loss: null, backend: 'cpu' })
    const [y] = unpackTensors(body)
    expect(y).toMatchObject({ name: 'y', shape: [rows, 3] })
    expect(y.data[0] + y.data[1] + y.data[2]).toBeCloseTo(1, 5)
    expect(lines.some((l) => /task 20 inference done in \d+ms loss n\/a/.test(l))).toBe(true)
  })

  it('runs a pipeline stage task, keeping the segment loaded for the next micro-batch', async () => {
    const socket = [...devices.sockets.values()][0]
    const model = buildModel(SPEC, 1)
    const weights = splitLayerWeights(model).map((p) => ({ layer: p.layer, ref: addBlob(packTensors(p.tensors)) }))
    const rows = 3
    const x = new Float32Array(rows * 4).map((_, i) => i / 7)
    const expected = tf.tidy(() => (model.predict(tf.tensor2d(x, [rows, 4])) as tf.Tensor).dataSync())
    const task = (microBatch: number): StageTask => ({
      kind: 'stage',
      instanceId: 30 + microBatch,
      taskId: 300 + microBatch,
      jobId: 'job',
      stage: 0,
      stages: 1,
      microBatch,
      segment: (({ outputShape: _, ...segment }) => segment)(segmentLayersFromTopology(model.toJSON(null, false), 0, 2)),
      weights,
      input: addBlob(packTensors([{ name: 'x', shape: [rows, 4], data: x }])),
      rows,
      deadline: Date.now() + 60_000,
    })
    model.dispose()
    for (const microBatch of [0, 1]) {
      const result = new Promise<Buffer>((resolve) => {
        socket.once('task:result', (_meta: TaskResultMeta, body: Buffer, ack: (r: unknown) => void) => {
          ack({ ok: true })
          resolve(body)
        })
      })
      socket.emit('task:assign', task(microBatch))
      const [y] = unpackTensors(await result)
      expect(y.shape).toEqual([rows, 3])
      Array.from(expected).forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 6))
    }
    expect(lines.some((l) => /task 301 stage 1\/1 micro-batch 1 assigned/.test(l))).toBe(true)
  })

  it('reports malformed tasks and bad blobs as task:failed', async () => {
    const socket = [...devices.sockets.values()][0]
    const failures: { instanceId: number; message: string }[] = []
    socket.on('task:failed', (f: { instanceId: number; message: string }) => failures.push(f))
    socket.emit('task:assign', { instanceId: 5, kind: 'train' })
    const bad = makeTask(6, 10, 1)
    socket.emit('task:assign', { ...bad, data: { ...bad.data, hash: 'a'.repeat(64), url: '/api/blobs/missing' } })
    await expect.poll(() => failures.length).toBe(2)
    expect(failures[0]).toMatchObject({ instanceId: 5, message: expect.stringMatching(/malformed task/) })
    expect(failures[1]).toMatchObject({ instanceId: 6, message: expect.stringMatching(/HTTP 404/) })
  })

  it('cancels on task:cancel, then re-says hello with the same id after a reconnect', async () => {
    const socket = [...devices.sockets.values()][0]
    let results = 0
    socket.on('task:result', () => results++)
    socket.on('task:progress', (p: { instanceId: number }) => {
      if (p.instanceId === 7) socket.emit('task:cancel', { instanceId: 7, reason: 'test' })
    })
    socket.emit('task:assign', makeTask(7, 400, 100))
    await expect.poll(() => lines.some((l) => /task 70 round 2 dropped: cancelled: test/.test(l)), { timeout: 10_000 }).toBe(true)
    expect(results).toBe(0)

    const again = nextHello()
    socket.disconnect(true) // server-side drop: the client reconnects by itself
    const { hello } = await again
    expect(hello.deviceId).toBe('dev_test_0001')
  })
})

describe('runWorker --slots', () => {
  let worker: WorkerHandle
  const lines: string[] = []
  afterAll(() => worker?.stop())

  it('asks for its slots (and batches), holds as many tasks as granted, runs them one after another, refuses one more', async () => {
    const joined = new Promise<{ socket: Socket; hello: DeviceHello }>((resolve) => {
      devices.once('connection', (socket) => {
        socket.once('device:hello', (raw: unknown, ack: (r: unknown) => void) => {
          const hello = DeviceHello.parse(raw)
          // The stand-in grants two of the three asked for, as a coordinator at NIMBLE_DEVICE_MAX_TASKS=2 would.
          ack({ ok: true, deviceId: 'dev_slots_0001', slots: 2, notice: 'asked for 3 task slots; this coordinator allows at most 2 tasks in flight per device (NIMBLE_DEVICE_MAX_TASKS)' })
          resolve({ socket, hello })
        })
      })
    })
    worker = await runWorker({ server: origin, backend: 'cpu', name: 'slots-box', setup, slots: 3, log: (l) => lines.push(l) })
    const { socket, hello } = await joined
    expect(hello.slots).toBe(3)
    expect(hello.batch).toBe(true) // several slots: a pass's tasks may come in one task:batch
    await expect.poll(() => lines.some((l) => /joined as dev_slots_0001 with 2 task slots/.test(l))).toBe(true)
    expect(lines.some((l) => /coordinator notice: .*NIMBLE_DEVICE_MAX_TASKS/.test(l))).toBe(true)

    const results: number[] = []
    const failures: { instanceId: number; message: string }[] = []
    socket.on('task:result', (meta: TaskResultMeta, _w: Buffer, ack: (r: unknown) => void) => {
      ack({ ok: true })
      results.push(meta.instanceId)
    })
    socket.on('task:failed', (f: { instanceId: number; message: string }) => failures.push(f))
    socket.emit('task:batch', [makeTask(101, 200, 20), makeTask(102, 40, 2)])
    socket.emit('task:assign', makeTask(103, 40, 2))
    await expect.poll(() => results.length, { timeout: 20_000 }).toBe(2)
    // Run in the order given, one at a time: the small second task waited for the big first one
    // (run side by side, it would have finished first).
    expect(results).toEqual([101, 102])
    expect(failures).toEqual([{ instanceId: 103, message: expect.stringMatching(/all of its 2 task slot\(s\)/) }])
  })

  it('drops a queued task on task:cancel without running it, and frees its slot', async () => {
    const socket = [...devices.sockets.values()].at(-1)!
    const results: number[] = []
    socket.on('task:result', (meta: TaskResultMeta) => results.push(meta.instanceId))
    socket.emit('task:assign', makeTask(111, 200, 20))
    socket.emit('task:assign', makeTask(112, 40, 2))
    socket.emit('task:cancel', { instanceId: 112, reason: 'test' })
    // The freed slot takes another task at once.
    socket.emit('task:assign', makeTask(113, 40, 2))
    await expect.poll(() => results.length, { timeout: 20_000 }).toBe(2)
    expect(results).toEqual([111, 113])
    expect(lines.some((l) => /task 1120 round 2 dropped before it started: cancelled: test/.test(l))).toBe(true)
  })
})
