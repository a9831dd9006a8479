/**
 * Test harness: starts real coordinator and headless worker processes on free loopback
 * ports with temporary data directories, and stops exactly the processes it started (by PID).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../net-port'

export { freePort }

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export function tempDir(prefix = 'nimble-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export type Proc = { child: ChildProcess; output: () => string; waitFor: (re: RegExp, ms?: number) => Promise<string>; kill: (sig?: NodeJS.Signals) => Promise<void> }

const started = new Set<ChildProcess>()

export function run(args: string[], env: Record<string, string>, label: string): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  started.add(child)
  let out = ''
  const waiters: { re: RegExp; resolve: (s: string) => void }[] = []
  const onData = (d: Buffer) => {
    out += d.toString()
    if (out.length > 4_000_000) out = out.slice(-2_000_000)
    for (const w of [...waiters]) {
      const m = w.re.exec(out)
      if (m) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(m[0])
      }
    }
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  child.on('exit', () => started.delete(child))
  if (process.env.NIMBLE_TEST_VERBOSE) {
    child.stdout!.on('data', (d) => process.stderr.write(`[${label}] ${d}`))
    child.stderr!.on('data', (d) => process.stderr.write(`[${label}] ${d}`))
  }
  return {
    child,
    output: () => out,
    waitFor(re, ms = 60_000) {
      const m = re.exec(out)
      if (m) return Promise.resolve(m[0])
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${label}: timed out after ${ms} ms waiting for ${re}; last output:\n${out.slice(-3000)}`)), ms)
        waiters.push({ re, resolve: (s) => (clearTimeout(t), resolve(s)) })
        child.once('exit', (code) => {
          clearTimeout(t)
          reject(new Error(`${label} exited (${code}) while waiting for ${re}; output:\n${out.slice(-3000)}`))
        })
      })
    },
    kill(sig = 'SIGTERM') {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill(sig)
        if (sig !== 'SIGKILL') setTimeout(() => child.kill('SIGKILL'), 8000).unref()
      })
    },
  }
}

export type Coord = Proc & { url: string; port: number; dataDir: string; key: string; api: ApiClient }

/**
 * With NIMBLE_TEST_DATABASE_URL (a PostgreSQL server) each data directory gets a fresh database
 * of its own, kept for that directory so a restarted coordinator finds its state again.
 */
const databases = new Map<string, string>()
/** The PostgreSQL database a data directory's coordinator uses in the PostgreSQL pass (else undefined: SQLite); tests read it with server/testing/store.ts. */
export function databaseUrlFor(dataDir: string): string | undefined {
  return databases.get(dataDir)
}
async function databaseFor(dataDir: string): Promise<Record<string, string>> {
  const server = process.env.NIMBLE_TEST_DATABASE_URL
  if (!server) return {}
  if (!databases.has(dataDir)) {
    const { createDatabase } = await import('./services')
    databases.set(dataDir, await createDatabase(server))
  }
  return { DATABASE_URL: databases.get(dataDir)! }
}

/** `chain: true` runs the embedded chain (anvil) for rewards tests; other tests skip it for speed. */
export async function startCoordinator(opts: { port?: number; dataDir?: string; env?: Record<string, string>; chain?: boolean } = {}): Promise<Coord> {
  const port = opts.port ?? (await freePort())
  const dataDir = opts.dataDir ?? tempDir()
  const key = 'test-owner-key-0123456789abcdef'
  const db = opts.env?.DATABASE_URL ? {} : await databaseFor(dataDir)
  const p = run(['server/index.ts'], { PORT: String(port), HOST: '127.0.0.1', NIMBLE_DATA_DIR: dataDir, NIMBLE_ADMIN_KEY: key, NODE_ENV: 'production', NIMBLE_CHAIN: opts.chain ? 'embedded' : 'off', ...db, ...opts.env }, `coord:${port}`)
  const url = `http://127.0.0.1:${port}`
  // Ready when /api/health answers (independent of the log level); fail fast if it exits.
  let exited = false
  p.child.once('exit', () => (exited = true))
  const deadline = Date.now() + 120_000
  for (;;) {
    if (exited) throw new Error(`coordinator exited during start-up:\n${p.output().slice(-3000)}`)
    const r = await fetch(`${url}/api/health`).catch(() => null)
    if (r?.ok) break
    if (Date.now() > deadline) throw new Error(`coordinator on port ${port} not ready after 120 s:\n${p.output().slice(-3000)}`)
    await new Promise((res) => setTimeout(res, 200))
  }
  return { ...p, url, port, dataDir, key, api: apiClient(url, key) }
}

export async function startWorker(server: string, opts: { name: string; backend?: string; extra?: string[] }): Promise<Proc> {
  const p = run(['server/worker-cli.ts', '--server', server, '--backend', opts.backend ?? 'cpu', '--name', opts.name, ...(opts.extra ?? [])], {}, opts.name)
  return p
}

export async function stopAll(): Promise<void> {
  await Promise.all(
    [...started].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve()
          c.once('exit', () => resolve())
          c.kill('SIGKILL')
        }),
    ),
  )
}

export type ApiClient = {
  call: (method: string, p: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: any }>
}

export function apiClient(url: string, key: string): ApiClient {
  return {
    async call(method, p, body, headers = {}) {
      const isText = typeof body === 'string'
      const isBytes = body instanceof Uint8Array
      const res = await fetch(url + p, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': isText ? 'text/csv' : isBytes ? 'application/octet-stream' : 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : isText ? (body as string) : isBytes ? Buffer.from(body as Uint8Array) : JSON.stringify(body),
      })
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = JSON.parse(text)
      } catch {}
      return { status: res.status, body: parsed }
    },
  }
}

export async function waitUntil<T>(fn: () => Promise<T | null | undefined | false>, ms: number, what: string, every = 250): Promise<T> {
  const end = Date.now() + ms
  let last: unknown
  while (Date.now() < end) {
    try {
      const v = await fn()
      if (v) return v
    } catch (e) {
      last = e
    }
    await new Promise((r) => setTimeout(r, every))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`)
}

/**
 * Waits for a job to succeed and returns its view. A failed job is reported with its error; on
 * timeout the message carries what the coordinator knew: the job's state and the end of its log.
 */
export async function waitForJob(c: Coord, id: string, ms: number, what = `job ${id} to succeed`, every = 250): Promise<any> {
  return waitUntil(
    async () => {
      const j = (await c.api.call('GET', `/api/jobs/${id}`)).body
      if (j.status === 'failed') throw new Error(`job failed: ${j.error}`)
      return j.status === 'succeeded' ? j : null
    },
    ms,
    what,
    every,
  ).catch(async (e) => {
    throw await explainJob(c, id, e)
  })
}

async function explainJob(c: Coord, jobId: string, e: unknown): Promise<Error> {
  const j = (await c.api.call('GET', `/api/jobs/${jobId}`).catch(() => ({ body: null }))).body as Record<string, unknown> | null
  const state = j ? JSON.stringify({ status: j.status, round: j.round, tasks: j.tasks, verification: j.verification, error: j.error }) : 'job unreadable'
  return new Error(`${e instanceof Error ? e.message : String(e)}\njob: ${state}\ncoordinator log (last lines):\n${c.output().slice(-6000)}`)
}
