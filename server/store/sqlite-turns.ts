/**
 * Kysely's driver for SQLite, with the database in worker threads and one commit per turn of
 * the event loop.
 *
 * SQLite runs statements synchronously: on the main thread, executing them was about 40% of
 * the coordinator's time under load (bench:load profile), time in which no device was answered.
 * Here two worker threads hold the connections (store/sqlite-worker.mjs, running the turn
 * engine of store/sqlite-engine.mjs, which explains the turn's transaction): the writer, for
 * writes and transactions, and the reader, for reads outside a transaction. This driver sends
 * one message per statement; the main thread then spends a few microseconds on it, and the
 * machine's second core does SQLite's work.
 *
 * What callers see:
 * - A write on its own resolves only after the commit that holds it (the turn's: the driver
 *   asks the worker to commit when the main thread's turn ends, `setImmediate`).
 * - A read outside a transaction runs on a second connection, in a thread of its own, and sees
 *   what is committed, as a read on another PostgreSQL connection would: not the writes still waiting
 *   for their turn's commit (nobody has been told of those yet). It never waits for the mutex,
 *   so a transaction waiting for its statements' answers does not hold up the dispatcher's reads.
 * - An explicit transaction (`db.transaction()`) runs alone on the connection: the mutex is
 *   held from begin to commit, and every other statement waits for it, in order. It is a
 *   savepoint inside the turn's transaction, atomic, and resolves after the turn's commit.
 * - Writes run in the order they were issued (the worker takes its messages in order). A write
 *   outside a transaction holds the mutex only until it is sent: the next may be sent before
 *   the first is answered.
 */
import { Worker } from 'node:worker_threads'
import { CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryCompiler, type QueryResult } from 'kysely'
import type { Answer, Request } from './sqlite-engine.mjs'
import { SqlWait } from './sql-wait'

export type SqliteOptions = {
  /** The database file. */
  file: string
  /** Run in order when the connection opens, e.g. 'journal_mode = WAL'. */
  pragmas?: string[]
  /** NIMBLE_SQL_PROFILE: print the costliest statements every so many seconds (0: off). */
  profileS?: number
  /** NIMBLE_BENCH_MEMORY: each thread prints its own JavaScript heap every so many seconds (0: off); the main thread's figures leave it out. */
  memoryS?: number
}

/** The connection as one holder of the mutex sees it. */
class TurnConnection implements DatabaseConnection {
  /** Whether this holder has given the mutex back, or not taken it yet (it is taken to write or begin a transaction; a statement outside a transaction gives it back once sent). */
  released = true
  /** Depth of explicit transactions (savepoints) this holder has open. */
  depth = 0
  /** A transaction begun and not yet sent: its first statement opens it. */
  beginPending = false
  /** NIMBLE_SQL_WAIT: when this holder took the mutex, and its first statement. */
  heldAt = 0
  firstSql: string | undefined

  constructor(private driver: SqliteTurnDriver) {}

  executeQuery<R>(cq: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.run<R>(this, cq)
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on SQLite here')
  }
}

/** A plain SELECT (Kysely writes a read as `select …`; a `with … ` may be a write, and takes the mutex). */
const READ = /^\s*select\b/i

type Waiting = { resolve: (a: Answer & { ok: true }) => void; reject: (e: Error) => void }

export class SqliteTurnDriver implements Driver {
  /** Someone holds the connection; `queue` waits for it in order (handed over one at a time, no herd). */
  private held = false
  private queue: (() => void)[] = []
  /** The thread that writes (and reads inside transactions). */
  private worker: Worker | null = null
  /** The thread that reads outside transactions (null: the writer does). */
  private reader: Worker | null = null
  private ready: Promise<void> | null = null
  private pending = new Map<number, Waiting>()
  private nextId = 1
  private flushQueued = false
  /** Why the worker can no longer answer (it stopped, or the store was destroyed). */
  private dead: Error | null = null
  /** Commits made (for tests and metrics), as of the worker's last answer. */
  commits = 0
  /** NIMBLE_SQL_WAIT diagnostics (store/sql-wait.ts), or null. */
  private wait: SqlWait | null = null

  constructor(private opts: SqliteOptions) {}

  init(): Promise<void> {
    this.ready ??= (async () => {
      const first = await this.start('write')
      this.worker = first.worker
      // Reads outside a transaction get a thread of their own when the file is in WAL mode
      // (else a reader would be locked out while a commit writes the file: every statement then
      // goes to the writer).
      if (first.wal) this.reader = (await this.start('read')).worker
      if (process.env.NIMBLE_SQL_WAIT) this.wait = new SqlWait(this.worker, Number(process.env.NIMBLE_SQL_WAIT))
    })()
    return this.ready
  }

  /** Starts a worker thread on the file (store/sqlite-worker.mjs); resolves once its connection is open. */
  private start(role: 'write' | 'read'): Promise<{ worker: Worker; wal: boolean }> {
    const thread = `the SQLite ${role === 'read' ? 'reader' : 'writer'} thread`
    return new Promise((resolve, reject) => {
      const w = new Worker(new URL('./sqlite-worker.mjs', import.meta.url), {
        // Plain JavaScript: none of the process's flags (its TypeScript loader, --input-type) apply.
        execArgv: [],
        workerData: { file: this.opts.file, pragmas: this.opts.pragmas ?? [], profileS: this.opts.profileS ?? 0, memoryS: this.opts.memoryS ?? 0, role },
      })
      w.once('message', (m: { ready: boolean; wal?: boolean; error?: { name: string; message: string; code?: string } }) => {
        if (!m.ready) {
          this.stop(asError(m.error!, `cannot open the SQLite database ${this.opts.file}`))
          void w.terminate()
          return reject(this.dead)
        }
        w.on('message', (a: Answer) => this.answer(a))
        w.unref()
        resolve({ worker: w, wal: !!m.wal })
      })
      w.on('error', (e) => {
        this.stop(new Error(`${thread} failed: ${e.message}`))
        reject(this.dead)
      })
      w.on('exit', (code) => {
        this.stop(new Error(`${thread} stopped (exit code ${code})`))
        reject(this.dead)
      })
    })
  }

  /** The mutex is taken when the connection first writes or begins a transaction: a read outside a transaction never waits for it. */
  async acquireConnection(): Promise<DatabaseConnection> {
    return new TurnConnection(this)
  }

  async releaseConnection(conn: DatabaseConnection): Promise<void> {
    this.unlock(conn as TurnConnection)
  }

  async beginTransaction(conn: DatabaseConnection): Promise<void> {
    const c = conn as TurnConnection
    if (c.released) await this.take(c)
    c.depth++
    if (c.depth === 1) c.beginPending = true
    else await this.send({ op: 'begin' })
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    const c = conn as TurnConnection
    c.depth--
    if (c.beginPending) {
      // It ran no statement: nothing to commit.
      c.beginPending = false
      return this.unlock(c)
    }
    const released = this.send({ op: 'commit' })
    // Answered once the turn holding the transaction has committed.
    const committed = c.depth === 0 ? this.send({ op: 'sync' }) : null
    // Others may use the connection while this transaction's commit is pending: their statements reach the worker after the RELEASE.
    if (c.depth === 0) this.unlock(c)
    await Promise.all([released, committed])
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    const c = conn as TurnConnection
    // Kysely rolls back after a failed commit too: the savepoint is already gone then.
    if (c.depth === 0) return
    c.depth--
    if (c.beginPending) {
      c.beginPending = false
      return this.unlock(c)
    }
    const rolledBack = this.send({ op: 'rollback' })
    if (c.depth === 0) this.unlock(c)
    await rolledBack
  }

  async destroy(): Promise<void> {
    const threads = [this.worker, this.reader].filter((w): w is Worker => w !== null)
    this.worker = this.reader = null
    for (const w of threads) w.ref()
    try {
      // Each commits what its turn holds and closes its connection (unless it already failed).
      if (!this.dead) await Promise.all(threads.map((w) => this.send({ op: 'close' }, w)))
    } finally {
      this.stop(new Error('the store is closed'))
      await Promise.all(threads.map((w) => w.terminate()))
    }
  }

  /**
   * Statements run together in a savepoint by the worker, each checked for its row count as it
   * goes (store/atomic.ts): answered after the turn's commit, or at once when one fell short
   * (nothing of them written). Needs the mutex only to be sent, like a write.
   */
  async atomic(statements: { query: CompiledQuery; rows?: number }[]): Promise<{ ok: true; results: QueryResult<unknown>[] } | { ok: false; failed: number }> {
    await this.lock()
    let answer: Promise<Answer & { ok: true }>
    try {
      answer = this.send({ op: 'atomic', statements: statements.map((s) => ({ sql: s.query.sql, params: s.query.parameters as unknown[], rows: s.rows })) })
    } finally {
      this.unlockHeld()
    }
    const a = await answer
    if (a.failed != null) return { ok: false, failed: a.failed }
    return { ok: true, results: a.results!.map((r) => queryResult(r)) }
  }

  /** Runs one statement for `c`. */
  async run<R>(c: TurnConnection, cq: CompiledQuery): Promise<QueryResult<R>> {
    let answer: Promise<Answer & { ok: true }>
    if (c.depth === 0 && READ.test(cq.sql)) {
      // On the reader's thread: what is committed, without the mutex.
      answer = this.send({ op: 'read', sql: cq.sql, params: cq.parameters as unknown[] })
    } else {
      if (c.released) await this.take(c)
      const begin = c.beginPending
      c.beginPending = false
      if (this.wait && c.depth > 0) c.firstSql ??= cq.sql
      answer = this.send({ op: 'run', sql: cq.sql, params: cq.parameters as unknown[], ...(begin ? { begin } : {}) })
      // Outside a transaction the statement is on its way, in order: the next holder may send theirs.
      if (c.depth === 0) this.unlock(c)
    }
    return queryResult<R>(await answer)
  }

  private async lock(): Promise<void> {
    if (this.held) {
      const since = performance.now()
      await new Promise<void>((r) => this.queue.push(r))
      this.wait?.locked(since)
    } else this.held = true
  }

  private async take(c: TurnConnection): Promise<void> {
    await this.lock()
    c.released = false
    if (this.wait) c.heldAt = performance.now()
  }

  private unlock(c: TurnConnection): void {
    if (c.released) return
    c.released = true
    this.wait?.held(c.firstSql, c.heldAt)
    this.unlockHeld()
  }

  /** Gives back the mutex. */
  private unlockHeld(): void {
    const next = this.queue.shift()
    // Handed straight to the next in line: `held` stays true.
    if (next) next()
    else this.held = false
  }

  /** Sends `m` to its thread (`to`; else a read to the reader, all else to the writer). */
  private send(m: Request, to?: Worker): Promise<Answer & { ok: true }> {
    if (this.dead) return Promise.reject(this.dead)
    const w = to ?? (m.op === 'read' && this.reader ? this.reader : this.worker)
    if (!w) return Promise.reject(new Error('the SQLite store is not open'))
    const id = this.nextId++
    this.wait?.sent(id, m.op)
    const p = new Promise<Answer & { ok: true }>((resolve, reject) => this.pending.set(id, { resolve, reject }))
    // An answer pending keeps the process alive; none pending, the threads do not.
    if (this.pending.size === 1) this.refThreads(true)
    w.postMessage({ ...m, id })
    if (w === this.worker && !this.flushQueued) {
      this.flushQueued = true
      setImmediate(() => {
        this.flushQueued = false
        if (!this.dead) this.worker?.postMessage({ op: 'flush' } satisfies Request)
      })
    }
    return p
  }

  private answer(a: Answer): void {
    const p = this.pending.get(a.id)
    if (!p) return
    this.pending.delete(a.id)
    if (this.pending.size === 0) this.refThreads(false)
    // The writer's count (the reader never commits).
    if (a.commits > this.commits) this.commits = a.commits
    this.wait?.answered(a.id, (a as { at?: [number, number] }).at)
    if (a.ok) p.resolve(a)
    else p.reject(asError(a.error))
  }

  private refThreads(on: boolean): void {
    for (const w of [this.worker, this.reader]) if (w) on ? w.ref() : w.unref()
  }

  /** Every statement pending, and every one after, fails with `e`. */
  private stop(e: Error): void {
    if (this.dead) return
    this.dead = e
    const pending = [...this.pending.values()]
    this.pending.clear()
    for (const p of pending) p.reject(e)
  }
}

/** A thread's answer to a statement as Kysely's result. */
function queryResult<R>(a: { rows?: unknown[]; changes?: number; insertId?: number | bigint }): QueryResult<R> {
  if (a.rows) return { rows: a.rows as R[] }
  return { numAffectedRows: a.changes != null ? BigInt(a.changes) : undefined, insertId: a.insertId != null ? BigInt(a.insertId) : undefined, rows: [] }
}

/** The worker's error as an Error here, with SQLite's code (e.g. SQLITE_CONSTRAINT_UNIQUE). */
function asError(e: { name: string; message: string; code?: string }, prefix?: string): Error {
  const err = new Error(prefix ? `${prefix}: ${e.message}` : e.message) as Error & { code?: string }
  err.name = e.name
  if (e.code) err.code = e.code
  return err
}

const drivers = new WeakMap<object, SqliteTurnDriver>()

/** The turn driver under `db` (a store opened on SQLite), or null (PostgreSQL). */
export function sqliteDriver(db: Kysely<any>): SqliteTurnDriver | null {
  return drivers.get(db.getExecutor().adapter) ?? null
}

/** Kysely's SQLite dialect on the turn driver. */
export class SqliteTurnDialect implements Dialect {
  readonly driver: SqliteTurnDriver

  constructor(opts: SqliteOptions) {
    this.driver = new SqliteTurnDriver(opts)
  }

  createDriver(): Driver {
    return this.driver
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler()
  }

  createAdapter() {
    const adapter = new SqliteAdapter()
    // So that store/atomic.ts finds the driver from the store.
    drivers.set(adapter, this.driver)
    return adapter
  }

  createIntrospector(db: Kysely<any>) {
    return new SqliteIntrospector(db)
  }
}
