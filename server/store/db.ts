/**
 * Opens the store: Kysely over better-sqlite3 (a file in the data directory, WAL mode),
 * and brings the schema up to date. PostgreSQL arrives behind the same Kysely interface.
 */
import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, Migrator, SqliteDialect, type MigrationProvider } from 'kysely'
import type { Database } from './schema'
import { migrations } from './migrations'

export type Store = Kysely<Database>

export async function openStore(dataDir: string): Promise<Store> {
  fs.mkdirSync(dataDir, { recursive: true })
  const sqlite = new SQLite(path.join(dataDir, 'nimble.sqlite'))
  sqlite.pragma('journal_mode = WAL')
  // FULL: a committed transaction (a credit, a settled epoch) survives power loss, not only a process crash.
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) })
  const provider: MigrationProvider = { getMigrations: async () => migrations }
  const { error, results } = await new Migrator({ db, provider, allowUnorderedMigrations: true }).migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    throw new Error(`database migration ${failed ?? ''} failed: ${(error as Error).message}`)
  }
  return db
}
