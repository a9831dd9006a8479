/**
 * Churn and crashes: a worker is killed mid-round and the coordinator is kill -9'd and
 * restarted on the same data directory; the workers reconnect by themselves and the
 * job still succeeds, every task counted exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { irisCsv } from '../testing/iris'
import { startCoordinator, startWorker, stopAll, waitForJob, waitUntil } from '../testing/harness'

afterAll(stopAll)

describe('recovery', () => {
  it('survives a dead worker and a kill -9 of the coordinator', async () => {
    const iris = irisCsv()
    let coord = await startCoordinator({ env: { NIMBLE_LEASE_MS: '20000' } })
    const workers = []
    for (let i = 0; i < 3; i++) workers.push(await startWorker(coord.url, { name: `r${i}` }))
    await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === 3, 60_000, '3 workers online')
    const ds = await coord.api.call('POST', '/api/datasets', iris.train)
    const job = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'mlp', hidden: [12] }, epochs: 40 })
    expect(job.status).toBe(201)
    const id = job.body.id
    const get = async () => (await coord.api.call('GET', `/api/jobs/${id}`)).body

    // Kill one worker while it holds a task. A frozen (SIGSTOP) worker cannot hand its task
    // back, so freeze it, look whether the coordinator counts a lease on it, and kill it only
    // then; else let it run a little and look again. Its lease must be reassigned.
    await waitUntil(async () => (await get()).round >= 3, 60_000, 'round 3')
    const pid = workers[0].child.pid!
    const leasesOfR0 = async () => ((await coord.api.call('GET', '/api/network')).body.devices as { name: string; leases?: number }[]).find((d) => d.name === 'r0')?.leases ?? 0
    await waitUntil(
      async () => {
        process.kill(pid, 'SIGSTOP')
        await new Promise((r) => setTimeout(r, 300)) // a result already on the wire lands first
        if ((await leasesOfR0()) > 0) return true
        process.kill(pid, 'SIGCONT')
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 150))
        return false
      },
      60_000,
      'worker r0 frozen while holding a task',
      0,
    )
    await workers[0].kill('SIGKILL')

    // Then crash the coordinator mid-job and bring it back on the same port and data.
    await waitUntil(async () => (await get()).round >= 10, 90_000, 'round 10')
    const before = await get()
    expect(before.status).toBe('running')
    await coord.kill('SIGKILL')
    coord = await startCoordinator({ port: coord.port, dataDir: coord.dataDir, env: { NIMBLE_LEASE_MS: '20000' } })
    await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === 2, 60_000, 'workers to reconnect')

    const done = await waitForJob(coord, id, 180_000, 'job to succeed after the crash')
    expect(done.round).toBe(40)
    expect(done.history.map((p: { round: number }) => p.round)).toEqual([...Array(40).keys()])
    expect(done.round).toBeGreaterThanOrEqual(before.round)
    // No task lost and none counted twice.
    expect(done.tasks.done).toBe(done.tasks.total)
    // Replicas of a new device's work are accepted instances too: each is counted once.
    expect(done.devices.reduce((a: number, d: { tasks: number }) => a + d.tasks, 0)).toBe(done.verification.accepted)
    expect(done.verification.accepted).toBeGreaterThanOrEqual(done.tasks.done)
    expect(done.tasks.reassigned).toBeGreaterThanOrEqual(1)

    const pred = await coord.api.call('POST', `/api/jobs/${id}/predict`, iris.holdout)
    const correct = pred.body.predictions.filter((p: { label: string }, i: number) => p.label === iris.holdoutLabels[i]).length
    expect(correct / 30).toBeGreaterThanOrEqual(0.9)
  }, 400_000)

  it('a coordinator killed between storing a result and judging it judges it after the restart', async () => {
    const iris = irisCsv()
    const first = await startCoordinator({ env: { NIMBLE_FAILPOINT: 'judge@2' } })
    const workers = [await startWorker(first.url, { name: 'j0' }), await startWorker(first.url, { name: 'j1' })]
    await waitUntil(async () => (await first.api.call('GET', '/api/network')).body.devicesOnline === 2, 60_000, '2 workers online')
    const ds = await first.api.call('POST', '/api/datasets', iris.train)
    const job = await first.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'logistic' }, epochs: 4 })
    expect(job.status).toBe(201)
    await first.waitFor(/failpoint judge@2: killing/, 120_000)
    await first.kill()

    // The coordinator may not recompute it (NIMBLE_SPOT_MAX_FLOPS=0): the lone copy of a new
    // device must then wait for a second copy, not be accepted because no device is back yet.
    const coord = await startCoordinator({ port: first.port, dataDir: first.dataDir, env: { NIMBLE_SPOT_MAX_FLOPS: '0' } })
    // The stored result is judged: on SQLite at start, before any device is back; on PostgreSQL
    // (where several coordinators may share the database) once the dead process's heartbeat is
    // NIMBLE_NODE_TIMEOUT_MS old, as for any dead node.
    await coord.waitFor(/judged \d+ stored result\(s\) left unjudged \((previous process|coordinator .* stopped)\)/, 60_000)
    const done = await waitForJob(coord, job.body.id, 120_000, 'job to succeed after the restart')
    expect(done.round).toBe(4)
    expect(done.tasks.done).toBe(done.tasks.total)
    expect(done.devices.reduce((a: number, d: { tasks: number }) => a + d.tasks, 0)).toBe(done.verification.accepted)
    if (!process.env.NIMBLE_TEST_DATABASE_URL) {
      // On SQLite the result was judged at start, before any device was back: it waited for a
      // second copy instead of being accepted unreplicated. (Later tasks may legitimately be,
      // while only one of the two workers has reconnected.)
      const out = coord.output()
      const atStart = out.slice(0, out.search(/judged \d+ stored result/))
      expect(atStart).toMatch(/needs another copy/)
      expect(atStart).not.toMatch(/accepted unreplicated/)
    }
    for (const w of workers) await w.kill()
  }, 300_000)
})
