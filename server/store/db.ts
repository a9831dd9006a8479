/**
 * Opens the store and brings the schema up to date. One Kysely interface over two databases:
 * - SQLite (default): better-sqlite3, a file in the data directory, WAL mode; one coordinator.
 * - PostgreSQL (`DATABASE_URL=postgres://…`): a pg Pool; several coordinators may share it.
 * Code that must differ between them asks `isPostgres(db)` (raw SQL, locks).
 */
import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { Kysely, Migrator, PostgresAdapter, PostgresDialect, sql, type MigrationProvider } from 'kysely'
import type { Database } from './schema'
import type { SyncMode } from './durability'
import { migrations } from './migrations'
import { SqliteTurnDialect } from './sqlite-turns'

export type Store = Kysely<Database>

/** True for a postgres:// or postgresql:// URL; anything else (unset, sqlite:) is the embedded store. */
export function isPostgresUrl(url: string | undefined): boolean {
  return !!url && /^postgres(ql)?:\/\//.test(url)
}

/**
 * pg returns int8 (bigint: epoch ms, count(*), sum(integer)) and numeric (sum(bigint)) as
 * strings to avoid precision loss; every value here fits a double, and the code expects numbers.
 */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (v: string) => (v === null ? null : Number(v))
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

/** A Kysely over a pg Pool of `max` connections. */
export function postgres(url: string, max: number, options?: string): Store {
  const pool = new pg.Pool({ connectionString: url, max, types: pgTypes as pg.CustomTypesConfig, ...(options ? { options } : {}) })
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => {})
  // Nor one that is checked out between two queries (a transaction, an advisory lock held while
  // its work runs): pg-pool listens only to idle clients, and an 'error' with no listener
  // crashed the coordinator (health test, database cut). Its next query fails instead, and the
  // pool discards it when it is released.
  pool.on('connect', (client) => client.on('error', () => {}))
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
}

export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/** The SQLite file of a data directory. */
export function sqliteFile(dataDir: string): string {
  return path.join(dataDir, 'nimble.sqlite')
}

/**
 * `sync`: 'each' (default here) flushes every commit to disk (SQLite FULL, PostgreSQL
 * synchronous_commit on); 'group' leaves flushing to a Durability (server/store/durability.ts),
 * which the coordinator uses.
 */
export async function openStore(dataDir: string, databaseUrl?: string, opts: { poolSize?: number; sync?: SyncMode } = {}): Promise<Store> {
  let db: Kysely<Database>
  const sync = opts.sync ?? 'each'
  if (isPostgresUrl(databaseUrl)) {
    db = postgres(databaseUrl!, opts.poolSize ?? 10, sync === 'group' ? '-c synchronous_commit=off' : undefined)
  } else {
    fs.mkdirSync(dataDir, { recursive: true })
    const pragmas = [
      'journal_mode = WAL',
      // FULL: each commit survives power loss. NORMAL (WAL): never corrupt; commits reach the disk at the next flush.
      `synchronous = ${sync === 'each' ? 'FULL' : 'NORMAL'}`,
      'foreign_keys = ON',
      'busy_timeout = 5000',
      // Savepoints (every explicit transaction inside a turn's, store/sqlite-engine.mjs) journal the
      // pages they change for a rollback; in memory rather than in temporary files.
      'temp_store = MEMORY',
      // 64 MiB of page cache (SQLite's default is 2 MiB): under load the hot pages (the leaves of the
      // tasks and instances indexes that a turn's leases and results write) stay in memory instead
      // of being read back from the file with a system call each.
      'cache_size = -65536',
      // A checkpoint (WAL pages copied into the database file) every 16,000 pages (64 MiB of WAL)
      // rather than SQLite's 1,000: under load the same hot pages are written in every turn's commit,
      // and each checkpoint copies them once however often they changed. Commits took about 40% less
      // time under bench:load (NIMBLE_SQL_PROFILE); reads did not slow down.
      'wal_autocheckpoint = 16000',
      // ... and the WAL file cut back to 64 MiB when a checkpoint lets it start over.
      'journal_size_limit = 67108864',
    ]
    // The connection lives in a worker thread (store/sqlite-turns.ts).
    db = new Kysely<Database>({ dialect: new SqliteTurnDialect({ file: sqliteFile(dataDir), pragmas, profileS: Number(process.env.NIMBLE_SQL_PROFILE ?? 0), memoryS: process.env.NIMBLE_BENCH_MEMORY ? 10 : 0 }) })
  }
  try {
    await migrate(db)
  } catch (e) {
    await db.destroy().catch(() => {})
    throw e
  }
  return db
}

/** Several coordinators may start at once on PostgreSQL: one migrates, the others wait for it. */
async function migrate(db: Kysely<Database>): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations }
  const run = async (k: Kysely<any>) => {
    const { error, results } = await new Migrator({ db: k, provider, allowUnorderedMigrations: true }).migrateToLatest()
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName
      throw new Error(`database migration ${failed ?? ''} failed: ${(error as Error).message}`)
    }
  }
  if (!isPostgres(db)) return run(db)
  // Kysely's migrator takes its own lock too; this one also serialises creating its tables.
  await db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn)
    try {
      await run(conn)
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn)
    }
  })
}

const MIGRATION_LOCK = 0x4e494d00
