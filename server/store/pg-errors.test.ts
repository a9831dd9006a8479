/**
 * A PostgreSQL connection cut while Kysely holds it between two queries must fail that work,
 * not the process: an unlistened 'error' on a checked-out pg client used to crash the
 * coordinator. Needs PostgreSQL 15 binaries or NIMBLE_TEST_DATABASE_URL (skipped without).
 */
import { afterAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { sql } from 'kysely'
import { postgres } from './db'
import { createDatabase, postgresAvailable, postgresServer, type Service } from '../testing/services'

const services: Service[] = []
afterAll(async () => {
  for (const s of services) await s.stop()
})

describe.skipIf(!postgresAvailable())('PostgreSQL connections cut under a checked-out client', () => {
  it('fail the query that follows, keep the process up, and the pool recovers', async () => {
    const server = await postgresServer()
    services.push(server)
    const url = await createDatabase(server.url, 'nimble_pgerr')
    const db = postgres(url, 2)
    const admin = new pg.Client({ connectionString: server.url })
    await admin.connect()
    const uncaught: unknown[] = []
    const onUncaught = (e: unknown) => uncaught.push(e)
    process.on('uncaughtException', onUncaught)
    try {
      const failed = await db
        .connection()
        .execute(async (conn) => {
          const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(conn)
          // Held between queries, as an advisory lock's connection is while its work runs.
          await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid])
          await new Promise((r) => setTimeout(r, 300))
          await sql`SELECT 1`.execute(conn)
          return null
        })
        .catch((e: Error) => e)
      expect(failed).toBeInstanceOf(Error)
      expect(uncaught).toEqual([])
      // The broken client was discarded: the next query gets a fresh one.
      const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(db)
      expect(rows).toEqual([{ one: 1 }])
    } finally {
      process.off('uncaughtException', onUncaught)
      await admin.end()
      await db.destroy()
    }
  }, 60_000)
})
