/**
 * Throwaway PostgreSQL and Redis for tests and the load benchmark, on free loopback ports in
 * temporary directories, from the machine's binaries (Debian: postgresql-15, redis-server).
 * Each start returns a stop that ends exactly the server it started. A database server given
 * in NIMBLE_TEST_DATABASE_URL (CI starts one) is reused: each caller gets a fresh database in it.
 */
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { freePort, tempDir } from './harness'

const PG_BIN = process.env.NIMBLE_PG_BIN ?? '/usr/lib/postgresql/15/bin'

export function postgresAvailable(): boolean {
  return !!process.env.NIMBLE_TEST_DATABASE_URL || fs.existsSync(path.join(PG_BIN, 'pg_ctl'))
}

export function redisAvailable(): boolean {
  return !!process.env.NIMBLE_TEST_REDIS_URL || findRedis() !== null
}

function findRedis(): string | null {
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (fs.existsSync(p)) return p
  return null
}

export type Service = { url: string; stop: () => Promise<void> }

/** initdb refuses root: as root the cluster belongs to the postgres user. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
}

/** A PostgreSQL server (trust auth, user `app`) of its own. */
/** `settings`: more server settings (`name=value`), as `postgres -c` takes them. */
export async function startPostgres(settings: string[] = []): Promise<Service> {
  const dir = tempDir('nimble-pg-')
  const data = path.join(dir, 'data')
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir])
  const port = await freePort()
  const run = (cmd: string, args: string[]) => {
    const [c, a] = asPostgres(path.join(PG_BIN, cmd), args)
    execFileSync(c, a, { stdio: 'pipe' })
  }
  run('initdb', ['-D', data, '-U', 'app', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-o', `-k ${dir} -h 127.0.0.1 -p ${port} -c fsync=off -c max_connections=200${settings.map((s) => ` -c ${s}`).join('')}`, 'start'])
  const url = `postgres://app@127.0.0.1:${port}/postgres`
  return {
    url,
    stop: async () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } catch {}
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A fresh, empty database on the server at `serverUrl`; the URL to reach it. */
export async function createDatabase(serverUrl: string, prefix = 'nimble_test'): Promise<string> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${name}`)
  } finally {
    await client.end()
  }
  const u = new URL(serverUrl)
  u.pathname = `/${name}`
  return u.toString()
}

/** NIMBLE_TEST_DATABASE_URL's server, or one started here. */
export async function postgresServer(): Promise<Service> {
  const given = process.env.NIMBLE_TEST_DATABASE_URL
  if (given) return { url: given, stop: async () => {} }
  return startPostgres()
}

/** A Redis of its own (no persistence), or NIMBLE_TEST_REDIS_URL's. */
export async function startRedis(): Promise<Service> {
  const given = process.env.NIMBLE_TEST_REDIS_URL
  if (given) return { url: given, stop: async () => {} }
  const bin = findRedis()
  if (!bin) throw new Error('redis-server not found (Debian: apt-get install -y redis-server)')
  const port = await freePort()
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const t = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000)
    child.stdout!.on('data', (d) => {
      out += d
      if (/ready to accept connections/i.test(out)) {
        clearTimeout(t)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${out}`)))
  })
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGKILL')
      }),
  }
}
