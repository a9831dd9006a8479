/**
 * Statements that commit together or not at all, each with the number of rows it must return
 * (or change). When one falls short (a row changed since the caller read it: a race), nothing
 * of them is written and the answer names it; an error rolls them back and is thrown.
 *
 * Unlike `db.transaction()`, the statements are all known up front, so:
 * - on SQLite they go to the worker thread in one message, which runs them in a savepoint and
 *   checks each as it goes (store/sqlite-engine.mjs): no round trip per statement, and the
 *   connection is not held across turns of the event loop while other statements wait for it;
 * - on PostgreSQL they are one transaction, sent without waiting for each other's answers.
 *
 *   const r = await atomically(db, [{ query: accept.compile(db, rows), rows: rows.length }, { query: credit.compile(db, rows) }])
 *   if (!r.ok) throw new Raced(`statement ${r.failed} found a row changed`)
 */
import type { CompiledQuery, QueryResult } from 'kysely'
import type { Store } from './db'
import { rowCount } from './prepared'
import { sqliteDriver } from './sqlite-turns'

export type Checked = { query: CompiledQuery; rows?: number }
export type AtomicResult = { ok: true; results: QueryResult<unknown>[] } | { ok: false; failed: number }

class FellShort extends Error {
  constructor(readonly index: number) {
    super(`statement ${index} fell short`)
  }
}

export async function atomically(db: Store, statements: Checked[]): Promise<AtomicResult> {
  if (db.isTransaction) throw new Error('atomically() runs its own transaction: give it the store, not a transaction')
  if (statements.length === 0) return { ok: true, results: [] }
  const driver = sqliteDriver(db)
  if (driver) return driver.atomic(statements)
  try {
    const results = await db.transaction().execute(async (trx) => {
      const settled = await Promise.allSettled(statements.map((s) => trx.executeQuery(s.query)))
      // In order: the first statement that failed or fell short is the one that counts (after
      // an error PostgreSQL refuses every later statement of the transaction).
      return settled.map((x, i) => {
        if (x.status === 'rejected') throw x.reason
        const want = statements[i].rows
        if (want !== undefined && rowCount(x.value) !== want) throw new FellShort(i)
        return x.value
      })
    })
    return { ok: true, results }
  } catch (e) {
    if (e instanceof FellShort) return { ok: false, failed: e.index }
    throw e
  }
}
