/**
 * store/atomic.ts on a real store: statements known up front that commit together or not at
 * all. The PostgreSQL pass (NIMBLE_TEST_DATABASE_URL) runs the same cases there.
 */
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Store } from './db'
import { openOwnStore } from '../testing/store'
import { atomically } from './atomic'
import { prepared } from './prepared'
import { tempDir } from '../testing/harness'

let db: Store
let dir: string
beforeAll(async () => {
  dir = tempDir('nimble-atomic-')
  db = await openOwnStore(dir)
  await db.insertInto('devices').values(['a', 'b', 'c'].map((id) => ({ id, name: id, kind: 'headless', backend: 'cpu', gflops: 1, profile_json: '{}', first_seen: 1, last_seen: 1 }))).execute()
})
afterAll(async () => {
  await db.destroy()
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Bumps a device's gflops unless it is banned: the row comes back only then. */
const bump = prepared(($, d) =>
  d
    .updateTable('devices')
    .set((eb) => ({ gflops: eb('gflops', '+', 1) }))
    .where('id', '=', $(0))
    .where('banned_at', 'is', null)
    .returning(['id', 'gflops']),
)
const rename = prepared(($, d) => d.updateTable('devices').set({ name: $(1) }).where('id', '=', $(0)))
const gflops = async () => Object.fromEntries((await db.selectFrom('devices').select(['id', 'gflops']).orderBy('id').execute()).map((r) => [r.id, r.gflops]))

describe('atomically', () => {
  it('runs every statement, checks each one’s rows, and answers with their results once committed', async () => {
    const r = await atomically(db, [
      { query: bump.compile(db, 'a'), rows: 1 },
      { query: bump.compile(db, 'b'), rows: 1 },
      { query: rename.compile(db, 'c', 'renamed'), rows: 1 },
    ])
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.results[0].rows).toEqual([{ id: 'a', gflops: 2 }])
    expect(Number(r.results[2].numAffectedRows)).toBe(1)
    expect(await gflops()).toEqual({ a: 2, b: 2, c: 1 })
    expect((await db.selectFrom('devices').select('name').where('id', '=', 'c').executeTakeFirstOrThrow()).name).toBe('renamed')
  })

  it('writes nothing when one falls short of its rows, and names it', async () => {
    await db.updateTable('devices').set({ banned_at: 5 }).where('id', '=', 'b').execute()
    const before = await gflops()
    const r = await atomically(db, [
      { query: bump.compile(db, 'a'), rows: 1 },
      { query: bump.compile(db, 'b'), rows: 1 }, // banned: no row back
      { query: bump.compile(db, 'c'), rows: 1 },
    ])
    expect(r).toEqual({ ok: false, failed: 1 })
    expect(await gflops()).toEqual(before)
    // A statement without a check is not one.
    expect((await atomically(db, [{ query: bump.compile(db, 'b') }, { query: bump.compile(db, 'a'), rows: 1 }])).ok).toBe(true)
    expect((await gflops()).a).toBe(before.a + 1)
  })

  it('writes nothing when one fails, and throws its error; writes around it commit', async () => {
    const before = await gflops()
    const around = db.updateTable('devices').set({ name: 'around' }).where('id', '=', 'a').execute()
    const failing = atomically(db, [
      { query: bump.compile(db, 'c'), rows: 1 },
      { query: prepared(($, d) => d.insertInto('devices').values({ id: $(0), name: 'x', kind: 'headless', backend: 'cpu', gflops: 1, profile_json: '{}', first_seen: 1, last_seen: 1 })).compile(db, 'a') }, // a duplicate id
    ])
    await expect(failing).rejects.toThrow(/unique|duplicate/i)
    await around
    expect(await gflops()).toEqual(before)
    expect((await db.selectFrom('devices').select('name').where('id', '=', 'a').executeTakeFirstOrThrow()).name).toBe('around')
  })

  it('waits for a transaction that is open, rather than running inside it', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const order: string[] = []
    const tx = db.transaction().execute(async (trx) => {
      await trx.updateTable('devices').set({ name: 'tx' }).where('id', '=', 'c').execute()
      await gate
      throw new Error('rolled back')
    })
    await new Promise((r) => setTimeout(r, 30))
    const at = atomically(db, [{ query: rename.compile(db, 'c', 'atomic'), rows: 1 }]).then(() => order.push('atomic'))
    await new Promise((r) => setTimeout(r, 30))
    order.push('released')
    release()
    await expect(tx).rejects.toThrow(/rolled back/)
    await at
    // Had it run inside the transaction, its write would have been rolled back with it.
    expect(order).toEqual(['released', 'atomic'])
    expect((await db.selectFrom('devices').select('name').where('id', '=', 'c').executeTakeFirstOrThrow()).name).toBe('atomic')
  })
})
