// @ts-check
/**
 * The SQLite worker thread: opens the database file given in `workerData` ({ file, pragmas,
 * profileS }), answers `{ ready: true }` (or `{ ready: false, error }`), then runs every request
 * the main thread sends through the turn engine, reads outside a transaction on a second connection (store/sqlite-engine.mjs), in the order sent.
 */
import { parentPort, workerData } from 'node:worker_threads'
import SQLite from 'better-sqlite3'
import { preparedOnce, sqlProfile, TurnEngine } from './sqlite-engine.mjs'

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort)
const { file, pragmas, profileS } = /** @type {{ file: string; pragmas: string[]; profileS: number }} */ (workerData)

let engine
try {
  const sqlite = new SQLite(file)
  for (const p of pragmas) sqlite.pragma(p)
  const profile = profileS > 0 ? sqlProfile(profileS) : null
  profile?.wrapExec(sqlite)
  // Reads outside a transaction run on a second connection (WAL: it reads the last commit while
  // the first holds the turn's transaction open).
  // Without WAL a reader would be locked out while a commit writes the file: then every
  // statement runs on the one connection.
  const wal = sqlite.pragma('journal_mode', { simple: true }) === 'wal'
  const reader = wal ? new SQLite(file) : null
  if (reader) for (const p of pragmas) reader.pragma(p)
  engine = new TurnEngine(sqlite, preparedOnce(sqlite, profile), (answer) => port.postMessage(answer), reader ? preparedOnce(reader, profile) : null)
  engine.onClose = () => reader?.close()
  port.postMessage({ ready: true })
} catch (e) {
  const err = /** @type {{ name?: string; message?: string; code?: string }} */ (e)
  port.postMessage({ ready: false, error: { name: err?.name ?? 'Error', message: err?.message ?? String(e), code: err?.code } })
}
if (engine) {
  const e = engine
  port.on('message', (m) => e.handle(m))
}
