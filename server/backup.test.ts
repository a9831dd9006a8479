import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { backup, restore } from './backup'
import { BlobStore } from './blobs'
import { openStore } from './store/db'
import { ROOT, tempDir } from './testing/harness'

async function seed(dir: string, n: number): Promise<string[]> {
  const db = await openStore(dir)
  const blobs = new BlobStore(path.join(dir, 'blobs'))
  const hashes: string[] = []
  for (let i = 0; i < n; i++) {
    const ref = blobs.put(Buffer.from(`blob number ${i}`))
    hashes.push(ref.hash)
    await db.insertInto('datasets').values({ id: `ds_${i}`, name: `d${i}`, rows: i, bytes: 1, columns_json: '[]', preview_json: '[]', blob_hash: ref.hash, created_at: i }).execute()
  }
  await db.destroy()
  return hashes
}

describe('backup and restore', () => {
  it('round-trips the database and blobs, taken while the store is open', async () => {
    const data = tempDir()
    const hashes = await seed(data, 25)
    // A writer holds the database open during the backup (online backup).
    const live = await openStore(data)
    await live.insertInto('datasets').values({ id: 'ds_live', name: 'live', rows: 1, bytes: 1, columns_json: '[]', preview_json: '[]', blob_hash: hashes[0], created_at: 99 }).execute()
    const out = path.join(tempDir(), 'bk')
    const m = await backup(data, out)
    await live.destroy()
    expect(m.blobs).toBe(25)
    const target = tempDir()
    restore(out, target)
    const db = await openStore(target)
    const rows = await db.selectFrom('datasets').select(['id', 'blob_hash']).orderBy('created_at').execute()
    expect(rows.map((r) => r.id)).toEqual([...hashes.map((_, i) => `ds_${i}`), 'ds_live'])
    const blobs = new BlobStore(path.join(target, 'blobs'))
    for (let i = 0; i < hashes.length; i++) expect(blobs.read(hashes[i]).toString()).toBe(`blob number ${i}`)
    await db.destroy()
    // Restoring over a database needs --force.
    expect(() => restore(out, target)).toThrow(/already holds a database/)
  })

  it('refuses a damaged backup and a damaged source blob', async () => {
    const data = tempDir()
    const [h] = await seed(data, 2)
    const out = path.join(tempDir(), 'bk')
    await backup(data, out)
    fs.writeFileSync(path.join(out, 'blobs', h.slice(0, 2), h), 'tampered')
    expect(() => restore(out, tempDir())).toThrow(/damaged: nothing restored/)
    fs.writeFileSync(path.join(data, 'blobs', h.slice(0, 2), h), 'tampered')
    await expect(backup(data, path.join(tempDir(), 'bk2'))).rejects.toThrow(/damaged/)
  })

  it('npm run backup / restore work from the command line', async () => {
    const data = tempDir()
    await seed(data, 3)
    const out = path.join(tempDir(), 'cli')
    const run = (args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', 'scripts/backup.ts', ...args], { cwd: ROOT, encoding: 'utf8' })
    expect(run(['backup', '--data', data, '--out', out])).toMatch(/3 blobs/)
    const target = tempDir()
    expect(run(['restore', '--from', out, '--data', target])).toMatch(/restored/)
    expect(fs.existsSync(path.join(target, 'nimble.sqlite'))).toBe(true)
  }, 60_000)
})

describe('store durability settings', () => {
  it('opens SQLite in WAL mode with synchronous=FULL', async () => {
    const dir = tempDir()
    const db = await openStore(dir)
    const { sql } = await import('kysely')
    const mode = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(db)
    const sync = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db)
    expect(mode.rows[0].journal_mode).toBe('wal')
    expect(sync.rows[0].synchronous).toBe(2)
    await db.destroy()
  })
})
