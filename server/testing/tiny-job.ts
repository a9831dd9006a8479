/**
 * A job of tiny synthetic inference tasks, as bench:load runs them and the tests of the device
 * protocol queue them: each task's result is a 1x1 `y` tensor that the validator checks like any
 * other. Its tasks are in round 1 of a job at round 0, so the planner and assimilator leave them alone.
 */
import { packTensors } from '../../lib/protocol/tensor-pack'
import type { Store } from '../store/db'
import type { Database } from '../store/schema'
import type { Insertable } from 'kysely'

/** The blob every tiny task names (weights and data alike); it need not exist, the simulated devices never fetch it. */
export const TINY_HASH = '0'.repeat(64)
const MODEL = { template: 'logistic', task: 'classification', inputShape: [1], inputSize: 1, outputSize: 1, hidden: [], activation: 'relu', dropout: 0, filters: [] }
const PAYLOAD = JSON.stringify({ kind: 'infer', model: MODEL, weights: { hash: TINY_HASH, bytes: 8, url: `/api/blobs/${TINY_HASH}` }, data: { hash: TINY_HASH, bytes: 8, url: `/api/blobs/${TINY_HASH}` }, shapes: [{ name: 'y', shape: [1, 1] }], memoryBytes: 1024 })
/** A valid result of any tiny task. */
export const TINY_RESULT = new Uint8Array(packTensors([{ name: 'y', shape: [1, 1], data: Float32Array.of(0.5) }]))

/** A dataset (`datasetId`) and running tiny jobs (`jobIds`) to queue tasks for. */
export async function seedTinyJobs(db: Store, opts: { datasetId: string; jobIds: string[]; totalRounds?: number }): Promise<void> {
  const now = Date.now()
  await db.insertInto('datasets').values({ id: opts.datasetId, name: opts.datasetId, rows: 1, bytes: 8, columns_json: '[]', preview_json: '[]', blob_hash: TINY_HASH, created_at: now }).execute()
  for (const id of opts.jobIds)
    await db
      .insertInto('jobs')
      .values({ id, name: id, type: 'infer', status: 'running', dataset_id: opts.datasetId, request_json: '{}', plan_json: null, round: 0, total_rounds: opts.totalRounds ?? 1000, weights_hash: null, metrics_json: null, test_json: null, error: null, created_at: now, updated_at: now, outer_hash: null, best_json: null, validation_json: null, outputs_hash: null, budget: null, deadline: null, estimate_json: null })
      .execute()
}

/** `n` ready task rows of a tiny job, shards from `firstShard` on. */
export function tinyTasks(jobId: string, n: number, firstShard: number): Insertable<Database['tasks']>[] {
  const t = Date.now()
  return Array.from({ length: n }, (_, i) => ({ job_id: jobId, round: 1, shard: firstShard + i, rows: 1, state: 'ready' as const, payload_json: PAYLOAD, flops: 1000, attempts: 0, result_hash: null, created_at: t, updated_at: t }))
}
