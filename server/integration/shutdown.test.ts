/**
 * Graceful shutdown: on SIGTERM the coordinator stops leasing, still accepts the result of a
 * task in flight during the grace period, refuses new work with 503 shutting_down, closes the
 * store and exits 0. Nothing is lost: after a restart the job finishes.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { io } from 'socket.io-client'
import { packTensors, PROTOCOL_VERSION, unpackTensors, type Task } from '../../lib/protocol'
import { irisCsv } from '../testing/iris'
import { startCoordinator, startWorker, stopAll, waitForJob } from '../testing/harness'

afterAll(stopAll)
const profile = { kind: 'headless', backend: 'cpu', benchmarks: [{ backend: 'cpu', gflops: 1000, size: 256 }], adapter: null, memoryBudget: 1e9 }

describe('SIGTERM drains', () => {
  it('accepts an in-flight result during the grace period, refuses new work, exits 0, resumes after restart', async () => {
    // No replication, spot checks or canaries: this is about draining, and the hand-made result
    // below is not a real training step (a coordinator spot check would rightly refuse it).
    const coord = await startCoordinator({ env: { NIMBLE_SHUTDOWN_GRACE_MS: '8000', NIMBLE_LEASE_MS: '60000', NIMBLE_REPLICATION: 'off', NIMBLE_SPOT_CHECK_RATE: '0', NIMBLE_CANARY_RATE: '0' } })
    const iris = irisCsv()
    const ds = await coord.api.call('POST', '/api/datasets', iris.train, { 'x-filename': 'iris.csv' })
    const job = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'logistic' }, epochs: 3 })
    expect(job.status).toBe(201)
    // A hand-driven device takes a task and holds it across the SIGTERM.
    const dev = io(`${coord.url}/devices`, { transports: ['websocket'], reconnection: false })
    const task = await new Promise<Task>((resolve) => {
      dev.on('task:assign', resolve)
      dev.emit('device:hello', { protocolVersion: PROTOCOL_VERSION, name: 'slow', profile }, () => {})
    })
    if (task.kind !== 'train') throw new Error('expected a train task')
    const weights = await (await fetch(coord.url + task.weights.url)).arrayBuffer()
    const exited = new Promise<number | null>((resolve) => coord.child.once('exit', (code) => resolve(code)))
    coord.child.kill('SIGTERM')
    await coord.waitFor(/draining/, 10_000)
    // New work is refused while draining.
    const late = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'logistic' }, epochs: 1 })
    expect(late.status).toBe(503)
    expect(late.body.error.code).toBe('shutting_down')
    // The in-flight result (the start weights nudged: valid shape, finite, moved) is still accepted.
    const result = packTensors(unpackTensors(weights).map((t) => ({ ...t, data: t.data.map((v) => v + 0.01) })))
    const ack = await new Promise<{ ok: boolean; error?: { code: string } }>((resolve) => dev.emit('task:result', { instanceId: task.instanceId, taskId: task.taskId, loss: 1, elapsedMs: 5, backend: 'cpu' }, result, resolve))
    expect(ack.ok, JSON.stringify(ack)).toBe(true)
    const t0 = Date.now()
    expect(await exited).toBe(0)
    // It did not wait out the whole grace period: nothing was left in flight.
    expect(Date.now() - t0).toBeLessThan(8000)
    expect(coord.output()).toMatch(/state:draining=>stopped left_leased:0/)
    dev.disconnect()

    const again = await startCoordinator({ dataDir: coord.dataDir, port: coord.port, env: { NIMBLE_REPLICATION: 'off', NIMBLE_SPOT_CHECK_RATE: '0', NIMBLE_CANARY_RATE: '0' } })
    await startWorker(again.url, { name: 'after-restart' })
    const done = await waitForJob(again, job.body.id, 120_000, 'job to finish after the restart')
    expect(done.tasks.done).toBe(done.tasks.total)
  }, 200_000)
})
