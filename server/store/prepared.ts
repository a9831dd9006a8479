/**
 * Queries built once and run many times with new arguments.
 *
 * Kysely builds a tree of frozen nodes for every query and compiles it to SQL each time it
 * runs. For the dozen statements every task runs (lease, result, verdict, credit), that cost
 * more than SQLite executing them, and the nodes were a large share of the garbage
 * (bench:load profile). A prepared query is built with placeholders the first time it runs on
 * a database, and afterwards runs the same SQL text with the arguments in their places;
 * on SQLite the statement itself is also prepared once (store/db.ts).
 *
 *   const byId = prepared(($, db) => db.selectFrom('tasks').selectAll().where('id', '=', $(0)))
 *   const task = await byId.first(db, 42)
 *
 * Arguments must not be undefined (Kysely leaves an undefined value out of the query; a
 * placeholder is always in it): pass null.
 */
import { CompiledQuery, type Compilable, type Kysely, type QueryResult, type RawBuilder } from 'kysely'
import type { Database } from './schema'

/** Where argument i goes, while the query is built. */
class Slot {
  constructor(readonly i: number) {}
}

type Compiled = { sql: string; parameters: readonly unknown[] }

export type Prepared<R> = {
  /** Runs the query: rows, and for writes the rows changed. */
  run(db: Kysely<Database>, ...args: unknown[]): Promise<QueryResult<R>>
  /** The query as it would run (for store/atomic.ts). */
  compile(db: Kysely<Database>, ...args: unknown[]): CompiledQuery
  rows(db: Kysely<Database>, ...args: unknown[]): Promise<R[]>
  first(db: Kysely<Database>, ...args: unknown[]): Promise<R | undefined>
  /** Rows a write changed. */
  changed(db: Kysely<Database>, ...args: unknown[]): Promise<number>
}

/** A query builder, or a raw `sql` template (which compiles against its database). */
type Buildable<R> = Compilable<R> | RawBuilder<R>

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a placeholder stands for a value of any column's type
export function prepared<R>(build: ($: (i: number) => any, db: Kysely<Database>) => Buildable<R>): Prepared<R> {
  // SQL differs by dialect: one compiled form per database adapter (a transaction shares its database's).
  const byAdapter = new WeakMap<object, Compiled>()
  /** The query with these arguments, compiled for `db` (throws when one is undefined). */
  const compile = (db: Kysely<Database>, ...args: unknown[]): CompiledQuery => {
    const adapter = db.getExecutor().adapter
    let c = byAdapter.get(adapter)
    if (!c) {
      c = (build((i) => new Slot(i), db) as { compile(db: Kysely<Database>): CompiledQuery }).compile(db)
      byAdapter.set(adapter, c)
    }
    const parameters = c.parameters.map((p) => (p instanceof Slot ? args[p.i] : p))
    for (const p of parameters) if (p === undefined) throw new Error(`prepared query given ${args.length} arguments, it needs more (none may be undefined): ${c.sql}`)
    return CompiledQuery.raw(c.sql, parameters)
  }
  const run = (db: Kysely<Database>, ...args: unknown[]): Promise<QueryResult<R>> => execute<R>(db, () => compile(db, ...args))
  return {
    run,
    compile,
    rows: async (db, ...args) => (await run(db, ...args)).rows,
    first: async (db, ...args) => (await run(db, ...args)).rows[0],
    changed: async (db, ...args) => rowCount(await run(db, ...args)),
  }
}

/** Runs the query `compile` makes; a query that cannot be made (an argument missing) rejects. */
function execute<R>(db: Kysely<Database>, compile: () => CompiledQuery): Promise<QueryResult<R>> {
  let q: CompiledQuery
  try {
    q = compile()
  } catch (e) {
    return Promise.reject(e)
  }
  return db.executeQuery<R>(q)
}

/** Rows a write changed (a write with RETURNING comes back as rows on SQLite), or rows a read returned. */
export function rowCount(r: QueryResult<unknown>): number {
  return r.numAffectedRows !== undefined ? Number(r.numAffectedRows) : r.rows.length
}

/**
 * A prepared query over a list, one per chunk size (store/chunks.ts): `build` gets the
 * placeholders of an n-long list, and `arg(k)` for the k-th argument after it.
 *
 *   const tasksIn = preparedIn((ids, db) => db.selectFrom('tasks').selectAll().where('id', 'in', ids))
 *   for (const part of inChunks(ids)) rows.push(...(await tasksIn.rows(db, part)))
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- placeholders, as in prepared()
export function preparedIn<R>(
  build: (list: any[], db: Kysely<Database>, arg: (k: number) => any) => Buildable<R>,
): { rows(db: Kysely<Database>, list: readonly unknown[], ...args: unknown[]): Promise<R[]>; compile(db: Kysely<Database>, list: readonly unknown[], ...args: unknown[]): CompiledQuery } {
  const bySize = new Map<number, Prepared<R>>()
  const of = (n: number): Prepared<R> => {
    let p = bySize.get(n)
    if (!p) bySize.set(n, (p = prepared(($, db) => build(Array.from({ length: n }, (_, i) => $(i)), db, (k) => $(n + k)))))
    return p
  }
  return {
    rows: (db, list, ...args) => of(list.length).rows(db, ...list, ...args),
    compile: (db, list, ...args) => of(list.length).compile(db, ...list, ...args),
  }
}

/**
 * A prepared query over rows of `width` values each (a multi-row insert, a `VALUES` list), one
 * per row count: `build` gets the placeholders as rows, and `arg(k)` for the k-th argument after
 * them. Pass rows in chunk sizes (store/chunks.ts) so that few texts are made.
 *
 *   const add = preparedRows(2, (rows, db) => db.insertInto('t').values(rows.map(([a, b]) => ({ a, b }))))
 *   await add.run(db, [[1, 'x'], [2, 'y']])
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- placeholders, as in prepared()
export function preparedRows<R>(
  width: number,
  build: (rows: any[][], db: Kysely<Database>, arg: (k: number) => any) => Buildable<R>,
): { run(db: Kysely<Database>, rows: readonly (readonly unknown[])[], ...args: unknown[]): Promise<QueryResult<R>>; compile(db: Kysely<Database>, rows: readonly (readonly unknown[])[], ...args: unknown[]): CompiledQuery } {
  const bySize = new Map<number, Prepared<R>>()
  const compile = (db: Kysely<Database>, rows: readonly (readonly unknown[])[], ...args: unknown[]): CompiledQuery => {
    const n = rows.length
    let p = bySize.get(n)
    if (!p) bySize.set(n, (p = prepared(($, db) => build(Array.from({ length: n }, (_, r) => Array.from({ length: width }, (_, c) => $(r * width + c))), db, (k) => $(n * width + k)))))
    const flat: unknown[] = []
    for (const row of rows) {
      if (row.length !== width) throw new Error(`preparedRows: a row of ${row.length} values where ${width} are expected`)
      for (const v of row) flat.push(v)
    }
    return p.compile(db, ...flat, ...args)
  }
  return {
    compile,
    run: (db, rows, ...args) => execute<R>(db, () => compile(db, rows, ...args)),
  }
}
