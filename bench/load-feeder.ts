/**
 * The tasks of `npm run bench:load`: a job of tiny synthetic inference tasks (a 1x1 result the
 * validator checks like any other), kept at `window` ready (by default 4,000; bench:load asks for
 * twice what its devices can hold at once) and topped up every 250 ms as devices drain them.
 * It runs inside the coordinator's process, through its store, as a job's planner does: seeded from the benchmark's own process, on SQLite its writes had to
 * take the database's one write lock from the coordinator's, and the coordinator stalled waiting
 * for it (its event loop blocked in SQLite's busy handler: a quarter of its time at 2,600 tasks/s).
 */
import type { Store } from '../server/store/db'
import { seedTinyJobs, tinyTasks } from '../server/testing/tiny-job'

/** Ready tasks kept queued by default: more than the devices can hold at once, so none waits for the feeder. */
const WINDOW = 4000
/**
 * How often it counts the ready tasks and tops them up. The count is the benchmark's load, not
 * the coordinator's: on PostgreSQL it took 10-17 ms of the database's time (an index scan whose
 * entries all need a visit to the table, as the state changes under it), a tenth of a core at
 * every 100 ms. Between two counts the devices take at most 2,500 tasks at 10,000 tasks/s,
 * well within the window.
 */
const EVERY_MS = 250

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Starts feeding; `ready` resolves once the first WINDOW tasks exist, `stop()` once feeding has stopped. */
export function feeder(db: Store, window = WINDOW): { ready: Promise<void>; stop: () => Promise<void> } {
  let shard = 0
  let stop = false
  const setup = seedTinyJobs(db, { datasetId: 'bench-ds', jobIds: ['bench-job'], totalRounds: 1_000_000 })
  // NIMBLE_PASS_PROFILE=1: every 5 s, what it inserted and how many tasks were left queued when it
  // last looked (0: the devices drained the queue faster than it filled it, and waited for it).
  let fed = 0
  let fedMs = 0
  let lastReady = 0
  if (process.env.NIMBLE_PASS_PROFILE)
    setInterval(() => {
      process.stderr.write(`feeder: ${fed} tasks inserted in ${fedMs.toFixed(0)} ms, ${lastReady} ready when it last looked\n`)
      fed = fedMs = 0
    }, 5000).unref()
  const top = async () => {
    const t0 = performance.now()
    const r = await db.selectFrom('tasks').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'ready').executeTakeFirst()
    lastReady = Number(r?.n ?? 0)
    // Rounded up to 500s: each row count is an SQL text of its own, and a prepared statement.
    const missing = Math.ceil(Math.max(0, window - lastReady) / 500) * 500
    // 2,000 rows a statement (11 parameters each: within SQLite's and PostgreSQL's limits): each
    // statement waits for a turn of a busy event loop, and 500 a statement could not keep up.
    for (let k = 0; k < missing; k += 2000) {
      const rows = tinyTasks('bench-job', Math.min(2000, missing - k), shard)
      shard += rows.length
      await db.insertInto('tasks').values(rows).execute()
      fed += rows.length
    }
    fedMs += performance.now() - t0
  }
  const ready = setup.then(top)
  const loop = (async () => {
    await ready.catch(() => {}) // the caller hears it from `ready`
    while (!stop) {
      await sleep(EVERY_MS)
      await top().catch((e) => console.error('feeder:', (e as Error).message))
    }
  })()
  return { ready, stop: async () => ((stop = true), await loop) }
}
