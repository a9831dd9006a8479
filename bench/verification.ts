/**
 * Verification overhead with an honest fleet: task instances devices ran per task needed,
 * under the default trust policy (new devices replicated until NIMBLE_TRUST_AFTER accepted
 * results, then NIMBLE_REPLICATE_PROBABILITY). Warm-up (every device new) is reported
 * apart from the steady state (the second half of the rounds). Coordinator spot checks are
 * counted separately: they cost the coordinator, not the fleet.
 */
import SQLite from 'better-sqlite3'
import path from 'node:path'
import { irisCsv } from '../server/testing/iris'
import { startFleet } from '../server/testing/fleet'
import { startCoordinator, waitUntil } from '../server/testing/harness'
import { CANARY_ROUND } from '../server/canary'

export type VerificationRow = {
  workers: number
  rounds: number
  tasks: number
  instances: number
  overallOverhead: number
  steadyTasks: number
  steadyInstances: number
  steadyOverhead: number
  replicatedSteady: number
  canaries: number
  spotChecked: number
  target: number
}

export async function verificationBench(workers = Number(process.env.BENCH_VERIFY_WORKERS ?? 6), rounds = Number(process.env.BENCH_VERIFY_ROUNDS ?? 60)): Promise<VerificationRow> {
  const coord = await startCoordinator({ env: { NIMBLE_LOG_LEVEL: 'warn', NIMBLE_MAX_SHARDS: '4', NIMBLE_VERIFY_SEED: '1' } })
  const fleet = await startFleet(coord.url, workers, [])
  try {
    await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === workers, 60_000, 'fleet online')
    const ds = await coord.api.call('POST', '/api/datasets', irisCsv().train)
    const job = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'logistic' }, epochs: rounds, sharding: 'equal', seed: 3 })
    if (job.status !== 201) throw new Error(JSON.stringify(job.body))
    await waitUntil(async () => (await coord.api.call('GET', `/api/jobs/${job.body.id}`)).body.status === 'succeeded', 900_000, 'verification bench job', 200)
    const db = new SQLite(path.join(coord.dataDir, 'nimble.sqlite'), { readonly: true })
    const count = (sql: string, ...args: unknown[]) => Number((db.prepare(sql).get(...args) as { n: number }).n)
    // Instances that ran to a result (accepted, rejected, or dropped as a duplicate copy),
    // canaries included: they are overhead. Tasks needed are the real ones only.
    const ran = `from instances i join tasks t on t.id = i.task_id where i.job_id = ? and i.state in ('valid', 'invalid', 'cancelled', 'pending')`
    const half = Math.floor(rounds / 2)
    const row: VerificationRow = {
      workers,
      rounds,
      tasks: count(`select count(*) as n from tasks where job_id = ? and state = 'done' and round < ${CANARY_ROUND}`, job.body.id),
      instances: count(`select count(*) as n ${ran}`, job.body.id),
      overallOverhead: 0,
      steadyTasks: count(`select count(*) as n from tasks where job_id = ? and state = 'done' and round >= ? and round < ${CANARY_ROUND}`, job.body.id, half),
      steadyInstances: count(`select count(*) as n ${ran} and t.round % ${CANARY_ROUND} >= ?`, job.body.id, half),
      steadyOverhead: 0,
      replicatedSteady: count(`select count(*) as n from tasks where job_id = ? and round >= ? and round < ${CANARY_ROUND} and replicas > 1`, job.body.id, half),
      canaries: count(`select count(*) as n from tasks where job_id = ? and round >= ${CANARY_ROUND}`, job.body.id),
      spotChecked: count(`select count(*) as n from tasks where job_id = ? and verdict = 'spot-checked'`, job.body.id),
      target: 1.2,
    }
    db.close()
    row.overallOverhead = +(row.instances / row.tasks).toFixed(3)
    row.steadyOverhead = +(row.steadyInstances / row.steadyTasks).toFixed(3)
    return row
  } finally {
    await Promise.all(fleet.map((w) => w.handle.stop()))
    await coord.kill()
  }
}
