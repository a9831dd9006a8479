/**
 * The store of a coordinator the harness started, through Kysely, for tests to check what it
 * made durable: its SQLite file, or in the PostgreSQL pass (NIMBLE_TEST_DATABASE_URL) the
 * database the harness created for that data directory. The same queries run on both.
 * Read-only on SQLite unless `write` (only while the coordinator is stopped).
 */
import SQLite from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { openStore, postgres, sqliteFile, type Store } from '../store/db'
import type { Database } from '../store/schema'
import { databaseUrlFor } from './harness'

export function openTestStore(dataDir: string, opts: { write?: boolean } = {}): Store {
  const url = databaseUrlFor(dataDir)
  if (url) return postgres(url, 2)
  const sqlite = new SQLite(sqliteFile(dataDir), { readonly: !opts.write, fileMustExist: true })
  sqlite.pragma('busy_timeout = 5000')
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) })
}

/** A store of a test's own in `dataDir`: SQLite, or in the PostgreSQL pass (NIMBLE_TEST_DATABASE_URL) a new database. */
export async function openOwnStore(dataDir: string): Promise<Store> {
  const server = process.env.NIMBLE_TEST_DATABASE_URL
  return openStore(dataDir, server ? await (await import('./services')).createDatabase(server) : undefined)
}

/** Opens the store, runs `fn`, closes it whatever happens. */
export async function withTestStore<T>(dataDir: string, fn: (db: Store) => Promise<T>, opts: { write?: boolean } = {}): Promise<T> {
  const db = openTestStore(dataDir, opts)
  try {
    return await fn(db)
  } finally {
    await db.destroy()
  }
}
