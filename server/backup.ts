/**
 * Backup and restore of a data directory. The SQLite file is copied with SQLite's online
 * backup API (better-sqlite3 `backup`), so the copy is consistent even while the coordinator
 * runs; blobs are content-addressed and immutable, so copying them after the database is
 * safe (every blob the copied database names already exists). Each blob is checked against
 * its hash on the way out and on the way back in. Keys (admin.key, secret.key, chain/) travel too.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'

export type BackupManifest = { version: 1; createdAt: string; blobs: number; blobBytes: number; files: string[] }

const KEY_FILES = ['admin.key', 'secret.key']

function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

function blobFiles(root: string): string[] {
  if (!fs.existsSync(root)) return []
  return fs
    .readdirSync(root)
    .filter((d) => /^[0-9a-f]{2}$/.test(d))
    .flatMap((d) => fs.readdirSync(path.join(root, d)).filter((f) => /^[0-9a-f]{64}$/.test(f)).map((f) => path.join(d, f)))
}

function copyAtomic(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true })
  const tmp = `${to}.tmp-${process.pid}`
  fs.copyFileSync(from, tmp)
  fs.renameSync(tmp, to)
}

export async function backup(dataDir: string, outDir: string): Promise<BackupManifest> {
  const dbFile = path.join(dataDir, 'nimble.sqlite')
  if (!fs.existsSync(dbFile)) throw new Error(`no database at ${dbFile}: is ${dataDir} a Nimble data directory?`)
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length) throw new Error(`${outDir} is not empty: back up into a new directory`)
  fs.mkdirSync(outDir, { recursive: true })
  const db = new SQLite(dbFile, { readonly: true, fileMustExist: true })
  try {
    await db.backup(path.join(outDir, 'nimble.sqlite'))
  } finally {
    db.close()
  }
  let blobBytes = 0
  const blobs = blobFiles(path.join(dataDir, 'blobs'))
  for (const rel of blobs) {
    const src = path.join(dataDir, 'blobs', rel)
    if (sha256File(src) !== path.basename(rel)) throw new Error(`blob ${rel} is damaged in ${dataDir}: not backed up (restore it from an older backup)`)
    copyAtomic(src, path.join(outDir, 'blobs', rel))
    blobBytes += fs.statSync(src).size
  }
  const files = ['nimble.sqlite']
  for (const f of KEY_FILES) {
    if (fs.existsSync(path.join(dataDir, f))) {
      copyAtomic(path.join(dataDir, f), path.join(outDir, f))
      files.push(f)
    }
  }
  if (fs.existsSync(path.join(dataDir, 'chain'))) {
    fs.cpSync(path.join(dataDir, 'chain'), path.join(outDir, 'chain'), { recursive: true })
    files.push('chain/')
  }
  const manifest: BackupManifest = { version: 1, createdAt: new Date().toISOString(), blobs: blobs.length, blobBytes, files }
  fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2))
  return manifest
}

/** Restores a backup into `dataDir` (which must not hold a database unless `force`). Stop the coordinator first. */
export function restore(fromDir: string, dataDir: string, opts: { force?: boolean } = {}): BackupManifest {
  const manifestFile = path.join(fromDir, 'manifest.json')
  if (!fs.existsSync(manifestFile)) throw new Error(`${fromDir} has no manifest.json: not a Nimble backup`)
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as BackupManifest
  if (fs.existsSync(path.join(dataDir, 'nimble.sqlite')) && !opts.force) throw new Error(`${dataDir} already holds a database: restore into an empty directory, or pass --force`)
  const blobs = blobFiles(path.join(fromDir, 'blobs'))
  if (blobs.length !== manifest.blobs) throw new Error(`the backup lists ${manifest.blobs} blobs but holds ${blobs.length}`)
  // Check everything before touching the target.
  for (const rel of blobs) if (sha256File(path.join(fromDir, 'blobs', rel)) !== path.basename(rel)) throw new Error(`blob ${rel} in the backup is damaged: nothing restored`)
  const check = new SQLite(path.join(fromDir, 'nimble.sqlite'), { readonly: true, fileMustExist: true })
  const ok = check.pragma('integrity_check', { simple: true })
  check.close()
  if (ok !== 'ok') throw new Error(`the backup's database fails its integrity check (${String(ok)}): nothing restored`)
  fs.mkdirSync(dataDir, { recursive: true })
  for (const suffix of ['-wal', '-shm']) fs.rmSync(path.join(dataDir, `nimble.sqlite${suffix}`), { force: true })
  copyAtomic(path.join(fromDir, 'nimble.sqlite'), path.join(dataDir, 'nimble.sqlite'))
  for (const rel of blobs) copyAtomic(path.join(fromDir, 'blobs', rel), path.join(dataDir, 'blobs', rel))
  for (const f of KEY_FILES) if (fs.existsSync(path.join(fromDir, f))) copyAtomic(path.join(fromDir, f), path.join(dataDir, f))
  if (fs.existsSync(path.join(fromDir, 'chain'))) fs.cpSync(path.join(fromDir, 'chain'), path.join(dataDir, 'chain'), { recursive: true })
  return manifest
}
