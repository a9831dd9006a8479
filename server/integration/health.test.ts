/**
 * Readiness through the real server: a coordinator on PostgreSQL answers GET /api/health 200
 * while its database answers, 503 with ok:false once the database refuses connections (the
 * coordinator stays up), and 200 again when it is back. Needs PostgreSQL 15 binaries or
 * NIMBLE_TEST_DATABASE_URL (skipped without them); SQLite's case is server/health.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { startCoordinator, stopAll, waitUntil } from '../testing/harness'
import { createDatabase, postgresAvailable, postgresServer, type Service } from '../testing/services'

const available = postgresAvailable()
if (!available) console.warn('health test SKIPPED: needs PostgreSQL 15 (/usr/lib/postgresql/15/bin or NIMBLE_TEST_DATABASE_URL)')

const services: Service[] = []
afterAll(async () => {
  await stopAll()
  for (const s of services) await s.stop()
})

describe.skipIf(!available)('GET /api/health is readiness', () => {
  it('answers 503 while the database is down and 200 when it is back', async () => {
    const server = await postgresServer()
    services.push(server)
    const databaseUrl = await createDatabase(server.url, 'nimble_health')
    const name = new URL(databaseUrl).pathname.slice(1)
    const coord = await startCoordinator({ env: { DATABASE_URL: databaseUrl, NIMBLE_RATE_PER_IP: '0' } })
    const health = async () => {
      const r = await fetch(`${coord.url}/api/health`)
      return { status: r.status, body: await r.json() }
    }
    expect(await health()).toMatchObject({ status: 200, body: { ok: true, db: 'postgres', dbReachable: true } })

    // The database goes away: no new connections, and the coordinator's are cut.
    const admin = new pg.Client({ connectionString: server.url })
    await admin.connect()
    try {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`)
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name])
      const down = await waitUntil(async () => {
        const h = await health()
        return h.status === 503 ? h : null
      }, 20_000, 'health to answer 503')
      expect(down.body).toMatchObject({ ok: false, dbReachable: false, db: 'postgres' })
      expect(coord.child.exitCode).toBeNull()

      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`)
      const up = await waitUntil(async () => {
        const h = await health()
        return h.status === 200 ? h : null
      }, 20_000, 'health to answer 200 again')
      expect(up.body).toMatchObject({ ok: true, dbReachable: true })
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {})
      await admin.end()
    }
  }, 120_000)
})
