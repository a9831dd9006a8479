import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import SQLite from 'better-sqlite3'
import type { Store } from './db'
import { openOwnStore } from '../testing/store'
import { preparedOnce, PREPARED_MAX_CHARS } from './sqlite-engine.mjs'
import { prepared, preparedIn, preparedRows } from './prepared'
import { tempDir } from '../testing/harness'

// The PostgreSQL pass (NIMBLE_TEST_DATABASE_URL) runs the same cases there.
let db: Store
let dir: string
beforeAll(async () => {
  dir = tempDir('nimble-prepared-')
  db = await openOwnStore(dir)
  const now = 1
  await db.insertInto('devices').values(['a', 'b'].map((id) => ({ id, name: id, kind: 'headless', backend: 'cpu', gflops: 1, profile_json: '{}', first_seen: now, last_seen: now }))).execute()
})
afterAll(async () => {
  await db.destroy()
  fs.rmSync(dir, { recursive: true, force: true })
})

const gflopsOf = prepared(($, d) => d.selectFrom('devices').select(['id', 'gflops']).where('id', '=', $(0)))
const bump = prepared(($, d) =>
  d
    .updateTable('devices')
    .set((eb) => ({ gflops: eb('gflops', '+', $(1)), name: $(2) }))
    .where('id', '=', $(0))
    .where('kind', '=', 'headless')
    .returning(['id', 'gflops', 'name']),
)

describe('prepared queries', () => {
  it('run with new arguments each time, keeping the constants they were built with', async () => {
    expect(await gflopsOf.first(db, 'a')).toEqual({ id: 'a', gflops: 1 })
    expect(await gflopsOf.first(db, 'b')).toEqual({ id: 'b', gflops: 1 })
    expect(await gflopsOf.first(db, 'nobody')).toBeUndefined()
    expect(await bump.rows(db, 'a', 2.5, 'first')).toEqual([{ id: 'a', gflops: 3.5, name: 'first' }])
    expect(await bump.rows(db, 'b', 10, 'second')).toEqual([{ id: 'b', gflops: 11, name: 'second' }])
    // The constant ('headless') is still in the query: another kind is not touched.
    await sql`UPDATE devices SET kind = 'browser' WHERE id = 'b'`.execute(db)
    expect(await bump.changed(db, 'b', 1, 'third')).toBe(0)
    expect(await gflopsOf.first(db, 'b')).toEqual({ id: 'b', gflops: 11 })
  })

  it('run inside a transaction, and roll back with it', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        expect(await bump.changed(trx, 'a', 100, 'in tx')).toBe(1)
        expect(await gflopsOf.first(trx, 'a')).toEqual({ id: 'a', gflops: 103.5 })
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    expect(await gflopsOf.first(db, 'a')).toEqual({ id: 'a', gflops: 3.5 })
  })

  it('refuse a missing or undefined argument instead of running with a hole in it', async () => {
    await expect(bump.run(db, 'a', 1)).rejects.toThrow(/undefined/)
    await expect(bump.run(db, 'a', undefined, 'x')).rejects.toThrow(/undefined/)
    const fresh = prepared(($, d) => d.selectFrom('devices').select('id').where('id', '=', $(1)))
    await expect(fresh.run(db, 'a')).rejects.toThrow(/given 1 arguments, it needs more/)
    expect(await gflopsOf.first(db, 'a')).toEqual({ id: 'a', gflops: 3.5 })
  })

  it('preparedIn runs over lists of each length, with arguments after the list', async () => {
    const rename = preparedIn((ids, d, arg) => d.updateTable('devices').set({ name: arg(0) }).where('id', 'in', ids).returning(['id', 'name']))
    expect((await rename.rows(db, ['a', 'b'], 'both')).map((r) => [r.id, r.name]).sort()).toEqual([
      ['a', 'both'],
      ['b', 'both'],
    ])
    expect(await rename.rows(db, ['b'], 'one')).toEqual([{ id: 'b', name: 'one' }])
    expect((await db.selectFrom('devices').select(['id', 'name']).orderBy('id').execute()).map((r) => r.name)).toEqual(['both', 'one'])
  })

  it('preparedRows runs inserts and VALUES joins of any row count, with arguments after the rows', async () => {
    const add = preparedRows(3, (rows, d, arg) => d.insertInto('devices').values(rows.map(([id, name, gflops]) => ({ id, name, gflops, kind: 'headless', backend: 'cpu', profile_json: '{}', first_seen: arg(0), last_seen: arg(0) }))))
    await add.run(db, [['c', 'C', 3], ['d', 'D', 4], ['e', 'E', 5]], 7)
    await add.run(db, [['f', 'F', 6]], 8)
    // A raw sql template: each value cast (PostgreSQL would otherwise take an untyped text parameter).
    const scale = preparedRows<{ id: string; gflops: number }>(
      2,
      (rows) => sql`WITH v(id, k) AS (VALUES ${sql.join(rows.map(([id, k]) => sql`(CAST(${id} AS text), CAST(${k} AS double precision))`))})
        UPDATE devices SET gflops = devices.gflops * v.k FROM v WHERE devices.id = v.id RETURNING devices.id, devices.gflops`,
    )
    expect((await scale.run(db, [['c', 2], ['f', 10]])).rows.map((r) => [r.id, Number(r.gflops)]).sort()).toEqual([
      ['c', 6],
      ['f', 60],
    ])
    expect((await scale.run(db, [['d', 0.5], ['e', 1]])).rows.length).toBe(2)
    const rows = await db.selectFrom('devices').select(['id', 'name', 'gflops', 'first_seen']).where('id', 'in', ['c', 'd', 'e', 'f']).orderBy('id').execute()
    expect(rows.map((r) => [r.id, r.name, Number(r.gflops), Number(r.first_seen)])).toEqual([
      ['c', 'C', 6, 7],
      ['d', 'D', 2, 7],
      ['e', 'E', 5, 7],
      ['f', 'F', 60, 8],
    ])
    // A row of the wrong width is refused, and nothing of that call is written.
    await expect(add.run(db, [['g', 'G', 1], ['h', 'H']], 9)).rejects.toThrow(/a row of 2 values where 3 are expected/)
    expect(await db.selectFrom('devices').select('id').where('id', 'in', ['g', 'h']).execute()).toEqual([])
  })

})

describe("SQLite's statement cache (store/sqlite-engine.mjs)", () => {
  it('reuses a statement by its text, and keeps at most PREPARED_MAX_CHARS of SQL text however many long statements pass through', () => {
    const sqlite = new SQLite(':memory:')
    sqlite.exec('CREATE TABLE t (a INTEGER, b TEXT)')
    const prepare = preparedOnce(sqlite)
    const insert = (n: number) => `INSERT INTO t (a, b) VALUES ${Array.from({ length: n }, () => '(?, ?)').join(', ')}`
    const first = prepare(insert(3))
    expect(prepare(insert(3))).toBe(first)
    // Inserts of 2,000 to 2,399 rows: 400 texts of about 16 KB, 6 MiB in all.
    const texts = Array.from({ length: 400 }, (_, k) => insert(2000 + k))
    const stmts = texts.map((t) => prepare(t))
    expect(texts.reduce((n, t) => n + t.length, 0)).toBeGreaterThan(PREPARED_MAX_CHARS)
    // The most recent ones are still kept, and as many as fit in the budget.
    let kept = 0
    let chars = 0
    for (let k = texts.length - 1; k >= 0 && prepare(texts[k]) === stmts[k]; k--) {
      kept++
      chars += texts[k].length
    }
    expect(kept).toBeGreaterThan(100)
    expect(chars).toBeLessThanOrEqual(PREPARED_MAX_CHARS)
    // The oldest were let go: preparing one again makes a new statement.
    expect(prepare(texts[0])).not.toBe(stmts[0])
    sqlite.close()
  })
})
