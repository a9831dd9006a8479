// @ts-check
/**
 * A SQLite worker thread. It opens the database file given in `workerData` ({ file, pragmas,
 * profileS, memoryS, role }), answers `{ ready: true, wal }` (or `{ ready: false, error }`), then runs
 * every request the main thread sends through the turn engine (store/sqlite-engine.mjs), in
 * the order sent.
 * - role 'write': the connection that writes, and reads inside transactions.
 * - role 'read': a second connection, on a thread of its own, for reads outside a transaction
 *   (WAL: it reads the last commit while the writer holds the turn's transaction open). They
 *   then neither wait behind the writer's queue nor add to it.
 */
import v8 from 'node:v8'
import { parentPort, workerData } from 'node:worker_threads'
import SQLite from 'better-sqlite3'
import { preparedOnce, sqlProfile, TurnEngine } from './sqlite-engine.mjs'

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort)
const { file, pragmas, profileS, memoryS, role } = /** @type {{ file: string; pragmas: string[]; profileS: number; memoryS: number; role: 'write' | 'read' }} */ (workerData)

// NIMBLE_BENCH_MEMORY: this thread's own JavaScript heap (a worker's heap is not in the main thread's figures).
if (memoryS > 0) {
  const mib = (/** @type {number} */ n) => (n / 2 ** 20).toFixed(0)
  setInterval(() => {
    const h = v8.getHeapStatistics()
    process.stderr.write(`sqlite ${role} thread heap MiB: used ${mib(h.used_heap_size)} of ${mib(h.total_heap_size)}, external ${mib(h.external_memory)}\n`)
  }, memoryS * 1000).unref()
}

let engine
try {
  const sqlite = new SQLite(file)
  for (const p of pragmas) sqlite.pragma(p)
  const profile = profileS > 0 ? sqlProfile(profileS, role) : null
  profile?.wrapExec(sqlite)
  const prepare = preparedOnce(sqlite, profile)
  engine = new TurnEngine(sqlite, prepare, (answer) => port.postMessage(answer), role === 'read' ? prepare : null)
  port.postMessage({ ready: true, wal: sqlite.pragma('journal_mode', { simple: true }) === 'wal' })
} catch (e) {
  const err = /** @type {{ name?: string; message?: string; code?: string }} */ (e)
  port.postMessage({ ready: false, error: { name: err?.name ?? 'Error', message: err?.message ?? String(e), code: err?.code } })
}
if (engine) {
  const e = engine
  port.on('message', (m) => e.handle(m))
}
