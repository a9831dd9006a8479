// @ts-check
/**
 * SQLite's side of the store: the connection, its statement cache and the turn's transaction.
 * It runs in a worker thread of its own (store/sqlite-worker.mjs), so the coordinator's main
 * thread spends no time inside SQLite; the main thread's driver (store/sqlite-turns.ts) sends it
 * one message per statement and keeps the order and the locking.
 *
 * Plain JavaScript (with types from sqlite-engine.d.mts): a worker thread starts without the
 * TypeScript loader the main thread runs under (tsx, or vitest's), so its modules must load as
 * they are.
 *
 * One commit per turn of the main thread's event loop:
 * - The first write opens a transaction (BEGIN IMMEDIATE); every later write and explicit
 *   transaction joins it, and it commits once, when the main thread's turn ends (it sends
 *   `flush`). Pages that many tasks touch (a device's row, an index's last leaf) are written
 *   once per turn instead of once per task: five or six commits a task cost about a quarter of a
 *   millisecond each, the largest single cost under load before this (bench:load, SQL profile).
 * - A write on its own is answered only after the commit that holds it: a caller that awaited a
 *   write and then acts on it (answers a device, sends a transaction on chain, SIGKILLs itself
 *   at a test's failpoint) finds it in the database after a crash.
 * - An explicit transaction is a savepoint inside the turn's transaction: atomic (a rollback
 *   undoes it alone), and the turn's commit waits while one is open.
 * - Reads are answered at once and see the turn's uncommitted writes (one connection).
 * - Statements that cannot run inside a transaction (PRAGMA, VACUUM, ATTACH) commit the turn
 *   first and run on their own.
 */
import { performance } from 'node:perf_hooks'

/** Statements that must not run inside the turn's transaction. */
const OUTSIDE = /^\s*(pragma|vacuum|attach|detach|begin|commit|end|rollback|savepoint|release)\b/i

export const PREPARED_MAX = 500
export const PREPARED_MAX_CHARS = 4 * 2 ** 20

/**
 * Kysely prepares every query it runs; compiling the same SQL again cost about a sixth of the
 * coordinator's CPU under load (bench:load profile). Statements are kept by their SQL text, the
 * most recently used first: at most 500 of them and 4 MiB of SQL text in all. A statement's
 * compiled program grows with its text, and a multi-row insert of a count not seen before is a
 * new text: kept by count alone, 500 inserts of a few thousand rows each held hundreds of MiB
 * of native memory (the RSS grew by 30 MiB a minute under bench:load on SQLite, the JavaScript
 * heap flat). Reuse is safe: one statement runs at a time on the one connection.
 *
 * @param {import('better-sqlite3').Database} sqlite
 * @param {ReturnType<typeof sqlProfile> | null} [profile]
 * @returns {(text: string) => import('better-sqlite3').Statement}
 */
export function preparedOnce(sqlite, profile = null) {
  /** @type {Map<string, import('better-sqlite3').Statement>} */
  const kept = new Map()
  let chars = 0
  return (text) => {
    let stmt = kept.get(text)
    if (stmt) kept.delete(text)
    else {
      stmt = profile ? profile.wrap(text, sqlite.prepare(text)) : sqlite.prepare(text)
      chars += text.length
    }
    kept.set(text, stmt)
    // The least recently used go first (a Map iterates in insertion order; a hit re-inserts).
    while (kept.size > 1 && (kept.size > PREPARED_MAX || chars > PREPARED_MAX_CHARS)) {
      const oldest = /** @type {string} */ (kept.keys().next().value)
      kept.delete(oldest)
      chars -= oldest.length
    }
    return stmt
  }
}

/**
 * Diagnostics (NIMBLE_SQL_PROFILE=<seconds>): times every statement by its SQL text and prints
 * the costliest to stderr every so many seconds. For finding the query that eats the store's
 * time under load (bench:load); off unless set.
 *
 * @param {number} everyS
 * @param {string} [label] which connection (printed with the figures)
 */
export function sqlProfile(everyS, label = '') {
  /** @type {Map<string, { n: number; ms: number }>} */
  const totals = new Map()
  const timer = setInterval(
    () => {
      const top = [...totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)
      const all = [...totals.values()].reduce((a, t) => a + t.ms, 0)
      process.stderr.write(`sql profile${label ? ` (${label})` : ''}: ${all.toFixed(0)} ms in ${[...totals.values()].reduce((a, t) => a + t.n, 0)} statements over ${everyS} s\n`)
      for (const [text, t] of top) process.stderr.write(`  ${t.ms.toFixed(0).padStart(6)} ms ${String(t.n).padStart(7)}× ${(t.ms / t.n).toFixed(3)} ms  ${text.replace(/\s+/g, ' ').slice(0, 220)}\n`)
      totals.clear()
    },
    Math.max(1, everyS) * 1000,
  )
  timer.unref()
  /** @param {string} text @param {number} t0 */
  const time = (text, t0) => {
    const t = totals.get(text) ?? { n: 0, ms: 0 }
    t.n++
    t.ms += performance.now() - t0
    totals.set(text, t)
  }
  return {
    /**
     * Times `db.exec` too (BEGIN, SAVEPOINT, RELEASE and COMMIT).
     * @param {import('better-sqlite3').Database} sqlite
     */
    wrapExec(sqlite) {
      const exec = sqlite.exec.bind(sqlite)
      sqlite.exec = (text) => {
        const t0 = performance.now()
        try {
          return exec(text)
        } finally {
          time(text.replace(/_\d+$/, '_N'), t0)
        }
      }
    },
    /**
     * @param {string} text
     * @param {import('better-sqlite3').Statement} stmt
     * @returns {import('better-sqlite3').Statement}
     */
    wrap(text, stmt) {
      return new Proxy(stmt, {
        get(target, prop) {
          const v = Reflect.get(target, prop, target)
          if (typeof v !== 'function') return v
          if (prop !== 'all' && prop !== 'run' && prop !== 'get' && prop !== 'iterate') return v.bind(target)
          return (/** @type {unknown[]} */ ...args) => {
            const t0 = performance.now()
            try {
              return v.apply(target, args)
            } finally {
              time(text, t0)
            }
          }
        },
      })
    },
  }
}

/**
 * A structured clone turns a Buffer into a plain Uint8Array, which better-sqlite3 does not bind.
 * @param {unknown[]} params
 */
function bindable(params) {
  for (let i = 0; i < params.length; i++) {
    const p = params[i]
    if (p instanceof Uint8Array && !Buffer.isBuffer(p)) params[i] = Buffer.from(p.buffer, p.byteOffset, p.byteLength)
  }
  return params
}

/** @param {unknown} e */
function errorReply(e) {
  const err = /** @type {{ name?: string; message?: string; code?: string }} */ (e)
  return { name: err?.name ?? 'Error', message: err?.message ?? String(e), code: err?.code }
}

/**
 * The turn logic over one connection. `reply(message)` sends an answer to the main thread.
 * Requests: { id, op: 'run' | 'read', sql, params, begin? } | { id, op: 'atomic', statements }
 * | { id, op: 'begin' | 'commit' | 'rollback' | 'sync' | 'close' } | { op: 'flush' }.
 * Answers: { id, ok: true, commits, rows? | changes?, insertId? | results? | failed? }
 * | { id, ok: false, error: { name, message, code }, commits } (types: sqlite-engine.d.mts).
 */
export class TurnEngine {
  /**
   * @param {import('better-sqlite3').Database} sqlite
   * @param {(text: string) => import('better-sqlite3').Statement} prepare
   * @param {(answer: object) => void} reply
   * @param {((text: string) => import('better-sqlite3').Statement) | null} [prepareRead] for the reader's thread: reads outside a transaction (elsewhere a `read` runs as any statement)
   */
  constructor(sqlite, prepare, reply, prepareRead = null) {
    this.sqlite = sqlite
    this.prepare = prepare
    this.reply = reply
    this.prepareRead = prepareRead
    /** A transaction (BEGIN IMMEDIATE) is open for this turn. */
    this.open = false
    /** Depth of explicit transactions (savepoints) open. */
    this.depth = 0
    /** The turn's commit came due while an explicit transaction was open: commit when it ends. */
    this.flushWanted = false
    /** @type {{ id: number; answer: object }[]} answers held until the turn's commit */
    this.waiters = []
    /** Commits made (for tests and metrics). */
    this.commits = 0
    /** NIMBLE_SQL_WAIT: answers say when their request started and ended here. */
    this.stamps = !!process.env.NIMBLE_SQL_WAIT
    this.startedAt = 0
  }

  /** @param {{ id?: number; op: string; sql?: string; params?: unknown[]; begin?: boolean }} m */
  handle(m) {
    const id = /** @type {number} */ (m.id)
    if (this.stamps) this.startedAt = performance.timeOrigin + performance.now()
    try {
      switch (m.op) {
        case 'run':
          // The first statement of a transaction opens it (no round trip of its own).
          if (m.begin) this.savepoint()
          return this.run(id, /** @type {string} */ (m.sql), m.params ?? [])
        case 'atomic':
          return this.atomic(id, /** @type {{ sql: string; params: unknown[]; rows?: number }[]} */ (m.statements))
        case 'read':
          return this.read(id, /** @type {string} */ (m.sql), m.params ?? [])
        case 'begin':
          this.savepoint()
          return this.ok(id, {})
        case 'commit':
          if (this.depth === 0) throw new Error('the transaction is gone: SQLite rolled it back when one of its statements failed')
          this.release()
          this.ok(id, {})
          return this.flushIfDue()
        case 'rollback':
          // Nothing open: its first statement failed to open it, or SQLite rolled it back already.
          if (this.depth > 0) this.undo()
          return this.ok(id, {})
        case 'sync':
          // Answered once what was sent before it has committed (a transaction just released).
          if (this.open) this.waiters.push({ id, answer: {} })
          else this.ok(id, {})
          return
        case 'flush':
          return this.flush()
        case 'close':
          if (this.open) this.flush()
          this.sqlite.close()
          return this.ok(id, {})
        default:
          throw new Error(`unknown store request ${m.op}`)
      }
    } catch (e) {
      if (m.id !== undefined) this.fail(id, e)
    }
  }

  /**
   * @param {number} id
   * @param {string} sql
   * @param {unknown[]} params
   */
  run(id, sql, params) {
    if (OUTSIDE.test(sql)) {
      if (this.depth > 0) throw new Error(`${sql.trim().split(/\s/)[0]} cannot run inside a transaction`)
      if (this.open) this.flush()
      return this.ok(id, this.exec(this.prepare(sql), params))
    }
    const stmt = this.prepare(sql)
    // A read, or a write inside a transaction, is answered at once; a write on its own joins
    // the turn's transaction and is answered after its commit.
    const now = stmt.readonly || this.depth > 0
    if (!stmt.readonly) this.begin()
    let answer
    try {
      answer = this.exec(stmt, params)
    } catch (e) {
      this.lostTurn(e)
      throw e
    }
    if (now) return this.ok(id, answer)
    this.waiters.push({ id, answer })
  }

  /**
   * Statements that commit together or not at all (store/atomic.ts), in a savepoint: each is
   * checked for the rows it must return (or change) as it runs. The first that falls short rolls
   * them all back and is named in the answer; an error rolls them back and is the answer.
   * Otherwise they join the turn and are answered after its commit, like a write.
   * @param {number} id
   * @param {{ sql: string; params: unknown[]; rows?: number }[]} statements
   */
  atomic(id, statements) {
    if (this.depth > 0) throw new Error('statements to run atomically arrived inside a transaction')
    this.savepoint()
    /** @type {object[]} */
    const results = []
    let failed = -1
    try {
      for (let i = 0; i < statements.length && failed < 0; i++) {
        const s = statements[i]
        const r = this.exec(this.prepare(s.sql), s.params)
        // A read, or a write with RETURNING, is checked by its rows; any other write by the rows it changed.
        const n = r.rows ? r.rows.length : r.changes
        if (s.rows !== undefined && n !== s.rows) failed = i
        else results.push(r)
      }
    } catch (e) {
      this.lostTurn(e)
      if (this.depth > 0) this.undo()
      throw e
    }
    if (failed >= 0) {
      this.undo()
      return this.ok(id, { failed })
    }
    this.release()
    this.waiters.push({ id, answer: { results } })
    this.flushIfDue()
  }

  /** Ends the innermost savepoint, keeping its changes in the turn's transaction. */
  release() {
    this.depth--
    this.sqlite.exec(`RELEASE nimble_tx_${this.depth}`)
  }

  /** Rolls back the innermost savepoint. */
  undo() {
    this.depth--
    try {
      this.sqlite.exec(`ROLLBACK TO nimble_tx_${this.depth}`)
      this.sqlite.exec(`RELEASE nimble_tx_${this.depth}`)
    } finally {
      this.flushIfDue()
    }
  }

  /** The turn's commit came due while a transaction was open: once none is, it commits. */
  flushIfDue() {
    if (this.depth === 0 && this.flushWanted) this.flush()
  }

  /**
   * A read outside any transaction, on the reader's connection: it sees what is committed (as a
   * read on another PostgreSQL connection would), not the turn's writes still to commit, and it
   * needs no turn of the mutex.
   * @param {number} id
   * @param {string} sql
   * @param {unknown[]} params
   */
  read(id, sql, params) {
    if (!this.prepareRead) return this.run(id, sql, params)
    const stmt = this.prepareRead(sql)
    if (!stmt.readonly || !stmt.reader) throw new Error(`not a read: ${sql.slice(0, 80)}`)
    return this.ok(id, { rows: stmt.all(bindable(params)) })
  }

  /**
   * @param {import('better-sqlite3').Statement} stmt
   * @param {unknown[]} params
   */
  exec(stmt, params) {
    if (stmt.reader) return { rows: stmt.all(bindable(params)) }
    const { changes, lastInsertRowid } = stmt.run(bindable(params))
    return { changes, insertId: lastInsertRowid }
  }

  /**
   * @param {number} id
   * @param {object} answer
   */
  ok(id, answer) {
    if (this.stamps) return this.reply({ id, ok: true, commits: this.commits, ...answer, at: [this.startedAt, performance.timeOrigin + performance.now()] })
    this.reply({ id, ok: true, commits: this.commits, ...answer })
  }

  /**
   * @param {number} id
   * @param {unknown} e
   */
  fail(id, e) {
    this.reply({ id, ok: false, commits: this.commits, error: errorReply(e) })
  }

  /**
   * Some errors (disk full, I/O) make SQLite roll back the whole transaction, not just the
   * statement: the turn's earlier writes are gone, and their callers hear so.
   * @param {unknown} e
   */
  lostTurn(e) {
    if (!this.open || this.sqlite.inTransaction) return
    this.open = false
    this.flushWanted = false
    this.depth = 0
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) this.fail(w.id, e)
  }

  /** Opens an explicit transaction: a savepoint in the turn's. */
  savepoint() {
    this.begin()
    this.sqlite.exec(`SAVEPOINT nimble_tx_${this.depth}`)
    this.depth++
  }

  /** Opens the turn's transaction if none is open. */
  begin() {
    if (this.open) return
    this.sqlite.exec('BEGIN IMMEDIATE')
    this.open = true
  }

  /** Commits the turn's transaction, unless an explicit transaction is open (then when it ends). */
  flush() {
    if (!this.open) return
    if (this.depth > 0) {
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
      for (const w of waiters) this.fail(w.id, e)
      return
    }
    for (const w of waiters) this.ok(w.id, w.answer)
  }
}
