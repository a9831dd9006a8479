/**
 * Kysely's driver for better-sqlite3, with one commit per turn of the event loop.
 *
 * Every SQLite commit appends the pages it changed to the WAL: about a quarter of a
 * millisecond, and a task made five or six of them (lease, result, verdict, credit, trust).
 * Under load that was the largest single cost of the coordinator (bench:load, SQL profile).
 * Here the first write of a turn opens a transaction (BEGIN IMMEDIATE), every write and
 * explicit transaction of that turn joins it, and it commits once, in the turn's check phase
 * (setImmediate). Pages that many tasks touch (a device's row, an index's last leaf) are then
 * written once per turn instead of once per task.
 *
 * What callers see does not change:
 * - A write resolves only after the commit that holds it, as before: a caller that awaited a
 *   write and then acts on it (answers a device, sends a transaction on chain, or
 *   SIGKILLs itself at a test's failpoint) finds it in the database after a crash.
 * - An explicit transaction (`db.transaction()`) is a savepoint inside the turn's
 *   transaction: it is atomic (a throw rolls back to the savepoint and nothing of it
 *   commits), runs alone on the one connection (the connection is held from begin to end, as
 *   Kysely's own SQLite driver does), and resolves after the turn's commit.
 * - Reads run at once and see the turn's uncommitted writes (one connection: as they would
 *   have seen them committed a moment earlier). A crash before the commit takes those writes
 *   and every caller of them is still waiting, so nothing was told they exist.
 * Statements that cannot run inside a transaction (PRAGMA, VACUUM, ATTACH) commit the turn
 * first, and run on their own.
 */
import type SQLite from 'better-sqlite3'
import { CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryCompiler, type QueryResult } from 'kysely'

/** Statements that must not run inside the turn's transaction. */
const OUTSIDE = /^\s*(pragma|vacuum|attach|detach|begin|commit|end|rollback|savepoint|release)\b/i

type Prepare = (sql: string) => SQLite.Statement

/** The connection as one holder of the mutex sees it. */
class TurnConnection implements DatabaseConnection {
  /** Whether this holder has already given the mutex back (an autocommit-style write does so before it waits for the commit). */
  released = false
  /** Depth of explicit transactions (savepoints) this holder has open. */
  depth = 0

  constructor(private driver: SqliteTurnDriver) {}

  async executeQuery<R>(cq: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.run<R>(this, cq)
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on SQLite here')
  }
}

export class SqliteTurnDriver implements Driver {
  /** Someone holds the connection; `queue` waits for it in order (handed over one at a time, no herd). */
  private held = false
  private queue: (() => void)[] = []
  /** A transaction (BEGIN IMMEDIATE) is open for this turn. */
  private open = false
  private flushQueued = false
  /** The turn's commit came due while an explicit transaction was open: commit when it ends. */
  private flushWanted = false
  private txDepth = 0
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = []
  /** Commits made (for tests and metrics). */
  commits = 0

  constructor(
    private sqlite: SQLite.Database,
    private prepare: Prepare,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.held) await new Promise<void>((r) => this.queue.push(r))
    else this.held = true
    return new TurnConnection(this)
  }

  async releaseConnection(conn: DatabaseConnection): Promise<void> {
    const c = conn as TurnConnection
    if (c.released) return
    c.released = true
    const next = this.queue.shift()
    // Handed straight to the next in line: `held` stays true.
    if (next) next()
    else this.held = false
  }

  async beginTransaction(conn: DatabaseConnection): Promise<void> {
    const c = conn as TurnConnection
    this.begin()
    this.sqlite.exec(`SAVEPOINT nimble_tx_${c.depth}`)
    c.depth++
    this.txDepth++
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    const c = conn as TurnConnection
    c.depth--
    this.txDepth--
    this.sqlite.exec(`RELEASE nimble_tx_${c.depth}`)
    const committed = this.committed()
    if (this.txDepth === 0 && this.flushWanted) this.flush()
    // Others may use the connection while this transaction's commit is pending.
    await this.releaseConnection(c)
    await committed
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    const c = conn as TurnConnection
    c.depth--
    this.txDepth--
    this.sqlite.exec(`ROLLBACK TO nimble_tx_${c.depth}`)
    this.sqlite.exec(`RELEASE nimble_tx_${c.depth}`)
    if (this.txDepth === 0 && this.flushWanted) this.flush()
  }

  async destroy(): Promise<void> {
    if (this.open) this.flush()
    this.sqlite.close()
  }

  /** Runs one statement for `c` (which holds the mutex). */
  run<R>(c: TurnConnection, cq: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = cq
    if (OUTSIDE.test(sql)) {
      if (c.depth > 0) throw new Error(`${sql.trim().split(/\s/)[0]} cannot run inside a transaction`)
      if (this.open) this.flush()
      return Promise.resolve(this.exec<R>(this.prepare(sql), parameters))
    }
    const stmt = this.prepare(sql)
    if (stmt.readonly || c.depth > 0) {
      if (!stmt.readonly) this.begin()
      try {
        return Promise.resolve(this.exec<R>(stmt, parameters))
      } catch (e) {
        this.lostTurn(e)
        throw e
      }
    }
    // A write on its own: it joins the turn's transaction and resolves after its commit.
    this.begin()
    let result: QueryResult<R>
    try {
      result = this.exec<R>(stmt, parameters)
    } catch (e) {
      this.lostTurn(e)
      return Promise.reject(e)
    }
    const committed = this.committed()
    void this.releaseConnection(c)
    return committed.then(() => result)
  }

  private exec<R>(stmt: SQLite.Statement, parameters: readonly unknown[]): QueryResult<R> {
    if (stmt.reader) return { rows: stmt.all(parameters) as R[] }
    const { changes, lastInsertRowid } = stmt.run(parameters)
    return { numAffectedRows: changes != null ? BigInt(changes) : undefined, insertId: lastInsertRowid != null ? BigInt(lastInsertRowid) : undefined, rows: [] }
  }

  /**
   * Some errors (disk full, I/O) make SQLite roll back the whole transaction, not just the
   * statement: the turn's earlier writes are gone, and their callers hear so.
   */
  private lostTurn(e: unknown): void {
    if (!this.open || this.sqlite.inTransaction) return
    this.open = false
    this.flushWanted = false
    this.txDepth = 0
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w.reject(e)
  }

  /** Opens the turn's transaction if none is open, and queues its commit. */
  private begin(): void {
    if (this.open) return
    this.sqlite.exec('BEGIN IMMEDIATE')
    this.open = true
    if (!this.flushQueued) {
      this.flushQueued = true
      setImmediate(() => {
        this.flushQueued = false
        this.flush()
      })
    }
  }

  /** Resolves when the turn's transaction (the one open now) has committed. */
  private committed(): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }))
  }

  /** Commits the turn's transaction, unless an explicit transaction is open (then when it ends). */
  private flush(): void {
    if (!this.open) return
    if (this.txDepth > 0) {
      this.flushWanted = true
      return
    }
    this.flushWanted = false
    const waiters = this.waiters
    this.waiters = []
    this.open = false
    try {
      this.sqlite.exec('COMMIT')
      this.commits++
    } catch (e) {
      // Nothing of the turn is kept: every writer hears why.
      try {
        if (this.sqlite.inTransaction) this.sqlite.exec('ROLLBACK')
      } catch {}
      for (const w of waiters) w.reject(e)
      return
    }
    for (const w of waiters) w.resolve()
  }
}

/** Kysely's SQLite dialect on the turn driver. */
export class SqliteTurnDialect implements Dialect {
  readonly driver: SqliteTurnDriver

  constructor(sqlite: SQLite.Database, prepare: Prepare) {
    this.driver = new SqliteTurnDriver(sqlite, prepare)
  }

  createDriver(): Driver {
    return this.driver
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler()
  }

  createAdapter() {
    return new SqliteAdapter()
  }

  createIntrospector(db: Kysely<any>) {
    return new SqliteIntrospector(db)
  }
}
