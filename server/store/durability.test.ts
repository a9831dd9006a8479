import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { createDatabase, postgresServer } from '../testing/services'
import { tempDir } from '../testing/harness'
import { isPostgresUrl, openStore, sqliteFile } from './db'
import { Durability, storeFlush } from './durability'

/** A flush that takes `ms` and records when each started and ended. */
function slowFlush(ms: number) {
  const log: string[] = []
  let n = 0
  const flush = async () => {
    const k = ++n
    log.push(`start ${k}`)
    await new Promise((r) => setTimeout(r, ms))
    log.push(`end ${k}`)
  }
  return { flush, log }
}

describe('Durability (group commit)', () => {
  it('starts a flush at once when none runs; callers who come while it runs share the next one', async () => {
    const { flush, log } = slowFlush(30)
    const d = new Durability(flush)
    const done: string[] = []
    const track = (name: string, p: Promise<void>) => p.then(() => done.push(`${name} after ${log.filter((l) => l.startsWith('end')).length} flush(es)`))
    // a starts flush 1; b comes right after (flush 1 may have begun before b's commit): b waits for flush 2.
    const a = track('a', d.durable())
    const b = track('b', d.durable())
    await new Promise((r) => setTimeout(r, 5))
    const c = track('c', d.durable())
    const e = track('e', d.durable())
    await Promise.all([a, b, c, e])
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2'])
    expect(done.sort()).toEqual(['a after 1 flush(es)', 'b after 2 flush(es)', 'c after 2 flush(es)', 'e after 2 flush(es)'])
    expect(d.flushes).toBe(2)
    // Nothing running: a new caller starts a flush of its own at once.
    await d.durable()
    expect(d.flushes).toBe(3)
  })

  it('passes a failed flush to its callers, and the next caller flushes again', async () => {
    let fail = true
    const d = new Durability(async () => {
      if (fail) throw new Error('disk gone')
    })
    await expect(d.durable()).rejects.toThrow(/disk gone/)
    fail = false
    await expect(d.durable()).resolves.toBeUndefined()
    expect(d.flushes).toBe(2)
  })

  it('flushes on a timer until stopped, and once more when stopped', async () => {
    const { flush, log } = slowFlush(1)
    const d = new Durability(flush)
    d.every(10, (e) => {
      throw e
    })
    await new Promise((r) => setTimeout(r, 80))
    const ticks = log.filter((l) => l.startsWith('end')).length
    expect(ticks).toBeGreaterThanOrEqual(2)
    await d.stop()
    const after = d.flushes
    await new Promise((r) => setTimeout(r, 40))
    expect(d.flushes).toBe(after)
  })

  it('is free when every commit is flushed already', async () => {
    const d = new Durability(null)
    await d.durable()
    expect(d.flushes).toBe(0)
  })
})

describe('store flush', () => {
  it('SQLite in group mode: synchronous NORMAL, and the flush fsyncs the WAL the commits went to', async () => {
    const dir = tempDir()
    const db = await openStore(dir, undefined, { sync: 'group' })
    const sync = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db)
    expect(sync.rows[0].synchronous).toBe(1)
    const d = new Durability(storeFlush(db, { mode: 'group', postgres: false, sqliteFile: sqliteFile(dir) }))
    await db.insertInto('datasets').values({ id: 'ds_1', name: 'd', rows: 1, bytes: 1, columns_json: '[]', preview_json: '[]', blob_hash: 'x', created_at: 1 }).execute()
    await d.durable()
    expect(d.flushes).toBe(1)
    await db.destroy()
    // Each mode: FULL, and nothing to flush.
    const db2 = await openStore(tempDir(), undefined, { sync: 'each' })
    expect((await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db2)).rows[0].synchronous).toBe(2)
    expect(storeFlush(db2, { mode: 'each', postgres: false, sqliteFile: 'unused' })).toBeNull()
    await db2.destroy()
  })

  it.skipIf(!isPostgresUrl(process.env.NIMBLE_TEST_DATABASE_URL))('PostgreSQL in group mode: commits asynchronous, the flush a synchronous commit', async () => {
    const server = await postgresServer()
    const url = await createDatabase(server.url, 'nimble_durability')
    const db = await openStore(tempDir(), url, { sync: 'group', poolSize: 2 })
    const setting = await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(db)
    expect(setting.rows[0].synchronous_commit).toBe('off')
    const d = new Durability(storeFlush(db, { mode: 'group', postgres: true, sqliteFile: 'unused' }))
    await db.insertInto('datasets').values({ id: 'ds_1', name: 'd', rows: 1, bytes: 1, columns_json: '[]', preview_json: '[]', blob_hash: 'x', created_at: 1 }).execute()
    await d.durable()
    expect(d.flushes).toBe(1)
    // The session setting is untouched by the flush's SET LOCAL.
    expect((await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(db)).rows[0].synchronous_commit).toBe('off')
    await db.destroy()
  })
})
