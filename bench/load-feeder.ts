/**
 * The tasks of `npm run bench:load`: a job of tiny synthetic inference tasks (a 1x1 result the
 * validator checks like any other), kept at a few thousand ready (the dispatcher's window) and
 * topped up as devices drain them. It runs inside the coordinator's process, through its store,
 * as a job's planner does: seeded from the benchmark's own process, on SQLite its writes had to
 * take the database's one write lock from the coordinator's, and the coordinator stalled waiting
 * for it (its event loop blocked in SQLite's busy handler: a quarter of its time at 2,600 tasks/s).
 */
import type { Store } from '../server/store/db'

export const HASH = '0'.repeat(64)
const MODEL = { template: 'logistic', task: 'classification', inputShape: [1], inputSize: 1, outputSize: 1, hidden: [], activation: 'relu', dropout: 0, filters: [] }
const PAYLOAD = JSON.stringify({ kind: 'infer', model: MODEL, weights: { hash: HASH, bytes: 8, url: `/api/blobs/${HASH}` }, data: { hash: HASH, bytes: 8, url: `/api/blobs/${HASH}` }, shapes: [{ name: 'y', shape: [1, 1] }], memoryBytes: 1024 })
/** Ready tasks kept queued. */
const WINDOW = 4000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Starts feeding; `ready` resolves once the first WINDOW tasks exist, `stop()` once feeding has stopped. */
export function feeder(db: Store): { ready: Promise<void>; stop: () => Promise<void> } {
  let shard = 0
  let stop = false
  const now = Date.now()
  const setup = (async () => {
    await db.insertInto('datasets').values({ id: 'bench-ds', name: 'bench', rows: 1, bytes: 8, columns_json: '[]', preview_json: '[]', blob_hash: HASH, created_at: now }).execute()
    // plan_json null and tasks in round 1 while the job is at round 0: planner and assimilator leave it alone.
    await db.insertInto('jobs').values({ id: 'bench-job', name: 'bench', type: 'infer', status: 'running', dataset_id: 'bench-ds', request_json: '{}', plan_json: null, round: 0, total_rounds: 1_000_000, weights_hash: null, metrics_json: null, test_json: null, error: null, created_at: now, updated_at: now, outer_hash: null, best_json: null, validation_json: null, outputs_hash: null, budget: null, deadline: null, estimate_json: null }).execute()
  })()
  const top = async () => {
    const r = await db.selectFrom('tasks').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'ready').executeTakeFirst()
    const missing = WINDOW - Number(r?.n ?? 0)
    for (let k = 0; k < missing; k += 500) {
      const t = Date.now()
      const rows = Array.from({ length: Math.min(500, missing - k) }, () => ({ job_id: 'bench-job', round: 1, shard: shard++, rows: 1, state: 'ready' as const, payload_json: PAYLOAD, flops: 1000, attempts: 0, result_hash: null, created_at: t, updated_at: t }))
      await db.insertInto('tasks').values(rows).execute()
    }
  }
  const ready = setup.then(top)
  const loop = (async () => {
    await ready.catch(() => {}) // the caller hears it from `ready`
    while (!stop) {
      await sleep(200)
      await top().catch((e) => console.error('feeder:', (e as Error).message))
    }
  })()
  return { ready, stop: async () => ((stop = true), await loop) }
}
