import { spawnSync } from 'node:child_process'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, sql, type Generated } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../testing/harness'
import { SqliteTurnDialect, type SqliteTurnDriver } from './sqlite-turns'

type DB = { t: { id: Generated<number>; v: string } }

const opened: Kysely<DB>[] = []
afterEach(async () => {
  for (const db of opened.splice(0)) await db.destroy().catch(() => {})
})

function open(file = path.join(tempDir('nimble-turns-'), 'x.sqlite')): { db: Kysely<DB>; driver: SqliteTurnDriver; file: string } {
  const setup = new SQLite(file)
  setup.pragma('journal_mode = WAL')
  setup.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)')
  setup.close()
  const dialect = new SqliteTurnDialect({ file })
  const db = new Kysely<DB>({ dialect })
  opened.push(db)
  return { db, driver: dialect.driver, file }
}

/** What another connection (another process, or this one after a crash) finds committed. */
function committedRows(file: string): string[] {
  const other = new SQLite(file, { readonly: true })
  try {
    return (other.prepare('SELECT v FROM t ORDER BY id').all() as { v: string }[]).map((r) => r.v)
  } finally {
    other.close()
  }
}

describe('SQLite turn driver (one commit per turn of the event loop)', () => {
  it('commits every write of a turn at once, and each write resolves only once committed', async () => {
    const { db, driver, file } = open()
    const seen: string[][] = []
    const writes = Array.from({ length: 50 }, (_, i) =>
      db
        .insertInto('t')
        .values({ v: `w${i}` })
        .execute()
        .then(() => seen.push(committedRows(file))),
    )
    await Promise.all(writes)
    expect(driver.commits).toBe(1)
    // Whoever's write resolved found it, and all of its turn, already committed.
    for (const rows of seen) expect(rows).toHaveLength(50)
  })

  it('a read outside a transaction sees what is committed, at once, even while a transaction is open; inside one it sees its own writes', async () => {
    const { db, file } = open()
    await db.insertInto('t').values({ v: 'a' }).execute()
    expect((await db.selectFrom('t').select('v').execute()).map((r) => r.v)).toEqual(['a'])
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let seenInside: string[] = []
    const tx = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ v: 'b' }).execute()
      seenInside = (await trx.selectFrom('t').select('v').execute()).map((r) => r.v)
      await gate
    })
    await new Promise((r) => setTimeout(r, 30))
    // The transaction is open and holds the mutex: a read does not wait for it, and does not see its write.
    expect((await db.selectFrom('t').select('v').execute()).map((r) => r.v)).toEqual(['a'])
    expect(seenInside).toEqual(['a', 'b'])
    release()
    await tx
    expect((await db.selectFrom('t').select('v').execute()).map((r) => r.v)).toEqual(['a', 'b'])
    expect(committedRows(file)).toEqual(['a', 'b'])
  })

  it('a transaction that throws leaves nothing of itself, and the turn’s other writes commit', async () => {
    const { db, file } = open()
    const before = db.insertInto('t').values({ v: 'before' }).execute()
    const failing = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ v: 'inside-1' }).execute()
      await trx.insertInto('t').values({ v: 'inside-2' }).execute()
      throw new Error('changed my mind')
    })
    const after = db.insertInto('t').values({ v: 'after' }).execute()
    await expect(failing).rejects.toThrow(/changed my mind/)
    await Promise.all([before, after])
    expect(committedRows(file)).toEqual(['before', 'after'])
  })

  it('a transaction runs alone on the connection, returns its value after the commit, and RETURNING works', async () => {
    const { db, driver, file } = open()
    const order: string[] = []
    const tx = db.transaction().execute(async (trx) => {
      const { id } = await trx.insertInto('t').values({ v: 'tx-1' }).returning('id').executeTakeFirstOrThrow()
      order.push('tx-1')
      await new Promise((r) => setTimeout(r, 20)) // a turn passes inside the transaction
      await trx.insertInto('t').values({ v: 'tx-2' }).execute()
      order.push('tx-2')
      return id
    })
    const outside = db
      .insertInto('t')
      .values({ v: 'outside' })
      .execute()
      .then(() => order.push('outside'))
    const id = await tx
    await outside
    expect(id).toBe(1)
    // The other write waited for the transaction (one connection), and nothing half-done was committed meanwhile.
    expect(order).toEqual(['tx-1', 'tx-2', 'outside'])
    expect(committedRows(file)).toEqual(['tx-1', 'tx-2', 'outside'])
    expect(driver.commits).toBeGreaterThanOrEqual(1)
  })

  it('a failing write rejects with its own error; the others of its turn commit', async () => {
    const { db, file } = open()
    await db.insertInto('t').values({ v: 'dup' }).execute()
    const ok = db.insertInto('t').values({ v: 'fine' }).execute()
    const bad = db.insertInto('t').values({ v: 'dup' }).execute()
    await expect(bad).rejects.toThrow(/UNIQUE/)
    await ok
    expect(committedRows(file)).toEqual(['dup', 'fine'])
  })

  it('runs a PRAGMA between turns (it cannot run inside a transaction), committing the turn first', async () => {
    const { db, file } = open()
    const w = db.insertInto('t').values({ v: 'x' }).execute()
    const r = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(db)
    expect(r.rows[0].journal_mode).toBe('wal')
    expect(committedRows(file)).toEqual(['x'])
    await w
  })

  it('a file it cannot open fails the first query with a clear error, and every query after it', async () => {
    const dir = tempDir('nimble-turns-bad-')
    const db = new Kysely<DB>({ dialect: new SqliteTurnDialect({ file: dir }) }) // a directory, not a file
    await expect(db.selectFrom('t').select('v').execute()).rejects.toThrow(/cannot open the SQLite database .*nimble-turns-bad-/)
    await expect(db.insertInto('t').values({ v: 'x' }).execute()).rejects.toThrow(/cannot open the SQLite database/)
    await db.destroy()
  })

  it('a process killed right after its write resolved keeps the write', () => {
    const dir = tempDir('nimble-turns-kill-')
    const file = path.join(dir, 'x.sqlite')
    open(file)
    const script = `
      import { Kysely } from 'kysely'
      import { SqliteTurnDialect } from ${JSON.stringify(path.resolve('server/store/sqlite-turns.ts'))}
      const db = new Kysely({ dialect: new SqliteTurnDialect({ file: ${JSON.stringify(file)} }) })
      db.insertInto('t').values({ v: 'unawaited' }).execute()
      await db.insertInto('t').values({ v: 'awaited' }).execute()
      process.kill(process.pid, 'SIGKILL')
    `
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' })
    expect(r.signal).toBe('SIGKILL')
    expect(committedRows(file).sort()).toEqual(['awaited', 'unawaited'])
  })
})
