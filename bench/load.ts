/**
 * `npm run bench:load [-- --workers 1000 --slots 4 --seconds 20 --soak 30 --db sqlite,postgres --unique]`
 *
 * 1,000 simulated devices (real socket.io-client connections, websocket transport) against one
 * coordinator (bench/load-server.ts), first on SQLite, then on PostgreSQL (a throwaway server
 * from the machine's binaries). Tasks are tiny synthetic inference tasks the coordinator seeds
 * into its own store (bench/load-feeder.ts: a 1x1 result the validator checks like any
 * other); a device answers each
 * assignment at once, so the figure is the coordinator's own cost per task:
 * assign -> result -> validate -> credit. Printed per database: completed tasks/s, the dispatch
 * latency a device sees (its result sent -> its next task received, p50/p99),
 * the raw acked Socket.IO round-trip rate of the same process
 * with the same number of clients (the ceiling), and coordinator RSS over a soak of --soak seconds.
 * Also the coordinator's CPU time per task and per ceiling round trip (from /proc: steadier than
 * rates on a shared machine), and how much of a core the simulated devices' own process used.
 * Every device joins before the first task exists (the figure is steady-state throughput with
 * all of them connected); how many joined and how long connecting took are printed too.
 * Diagnostics: NIMBLE_TEST_VERBOSE=1 shows the coordinator's output; with it,
 * NIMBLE_BENCH_LOOP_DELAY=1 prints its event-loop delay, NIMBLE_BENCH_MEMORY=1 where its RSS is
 * (V8 heap, buffers, native), NIMBLE_SQL_PROFILE=10 its costliest
 * SQLite statements every 10 s (on PostgreSQL: the server's costliest statements over the whole
 * run, from pg_stat_statements, printed after it) and NIMBLE_PASS_PROFILE=1 where its dispatch
 * passes spend their time every 5 s; --profile DIR writes a V8 CPU profile, and
 * NIMBLE_BENCH_ALLOC=FILE a sampling profile of what the coordinator allocated while fed
 * (both kept and collected objects: the young generation's collections were a sixth of its
 * main thread).
 */
import { io, type Socket } from 'socket.io-client'
import { PROTOCOL_VERSION } from '../lib/protocol'
import { packTensors } from '../lib/protocol/tensor-pack'
import { run, tempDir, type Proc } from '../server/testing/harness'
import { createDatabase, startPostgres, type Service } from '../server/testing/services'
import { openStore } from '../server/store/db'
import { TINY_RESULT } from '../server/testing/tiny-job'
import fs from 'node:fs'
import { cpuWindow, pgStatements, rssMiB, soakSummary, untilQuiet, type Cpu } from './load-measure'

const args = process.argv.slice(2)
const flag = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1] : def
}
const WORKERS = Number(flag('workers', '1000'))
const SECONDS = Number(flag('seconds', '20'))
const SOAK = Number(flag('soak', '30'))
const DBS = flag('db', 'sqlite,postgres').split(',')
/** --profile DIR: the coordinator writes a V8 CPU profile there (open it in Chrome DevTools). */
const PROFILE = flag('profile', '')
/**
 * --unique: every result has different bytes, so each is a new blob file written and fsynced.
 * By default every result is the same 1x1 tensor, and storing it again only finds the file there.
 */
const UNIQUE = args.includes('--unique')
/**
 * --slots N (default 4): tasks each simulated device holds at once, as a worker started with
 * `--slots N` does (the coordinator runs with NIMBLE_DEVICE_MAX_TASKS=N). Its hello says `batch`,
 * so a dispatch pass's tasks for it come in one task:batch, and it returns the results that are
 * due together in one task:results. --slots 1: a task per message each way.
 */
const SLOTS = Number(flag('slots', '4'))
/** NIMBLE_BENCH_NODE_FLAGS: more flags for the coordinator's node (V8's GC flags, say), space-separated, for experiments. */
const NODE_FLAGS = (process.env.NIMBLE_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean)

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Why devices failed to connect or were dropped, with counts (reported when not all joined). */
const dropped = new Map<string, number>()
const connectMs: number[] = []

type Device = { socket: Socket; sentAt: number; tasks: number; joined: boolean }

async function connectDevices(url: string, n: number, onDone: (latencyMs: number | null, ok: boolean) => void): Promise<Device[]> {
  const devices: Device[] = []
  for (let i = 0; i < n; i++) {
    const socket = io(`${url}/devices`, { transports: ['websocket'], reconnection: false, forceNew: true })
    const d: Device = { socket, sentAt: 0, tasks: 0, joined: false }
    const born = performance.now()
    socket.on('connect', () => connectMs.push(performance.now() - born))
    // Tasks that arrive in one turn are answered together: one task:result, or one task:results
    // for several (a device holding --slots tasks gets a pass's tasks in one task:batch).
    let due: { instanceId: number; taskId: number }[] = []
    const answer = () => {
      const tasks = due
      due = []
      const metas = tasks.map((t) => ({ instanceId: t.instanceId, taskId: t.taskId, loss: null, elapsedMs: 1, backend: 'cpu' }))
      const bytes = tasks.map((t) => (UNIQUE ? new Uint8Array(packTensors([{ name: 'y', shape: [1, 1], data: Float32Array.of(t.instanceId) }])) : TINY_RESULT))
      d.sentAt = performance.now()
      if (tasks.length === 1) return void socket.emit('task:result', metas[0], bytes[0], (res: { ok: boolean }) => onDone(null, res.ok))
      socket.emit('task:results', metas, bytes, (res: { ok: boolean; outcomes?: { ok: boolean }[] }) => {
        if (!res.ok) for (const _ of tasks) onDone(null, false)
        else for (const o of res.outcomes!) onDone(null, o.ok)
      })
    }
    const take = (tasks: { instanceId: number; taskId: number }[]) => {
      const now = performance.now()
      d.tasks += tasks.length
      if (d.sentAt) onDone(now - d.sentAt, true)
      d.sentAt = 0
      if (due.length === 0) setImmediate(answer)
      due.push(...tasks)
    }
    socket.on('task:assign', (task: { instanceId: number; taskId: number }) => take([task]))
    socket.on('task:batch', (tasks: { instanceId: number; taskId: number }[]) => take(tasks))
    socket.on('device:ping', (_s: number, ack: () => void) => ack?.())
    socket.on('connect_error', (e) => dropped.set(`connect_error: ${e.message}`, (dropped.get(`connect_error: ${e.message}`) ?? 0) + 1))
    socket.on('disconnect', (why) => dropped.set(`disconnect: ${why}`, (dropped.get(`disconnect: ${why}`) ?? 0) + 1))
    socket.on('connect', () => {
      socket.emit('device:hello', { protocolVersion: PROTOCOL_VERSION, name: `sim-${i}`, profile: { kind: 'headless', backend: 'cpu', benchmarks: [{ backend: 'cpu', gflops: 1, size: 256 }], adapter: null, memoryBudget: 1e9 }, slots: SLOTS, batch: true }, () => {
        d.joined = true
      })
    })
    devices.push(d)
    if (i % 50 === 49) await sleep(20)
  }
  return devices
}

/** The acked round-trip rate, and the coordinator's (`pid`) and this process's CPU over the same window. */
async function echoRate(url: string, n: number, seconds: number, pid: number): Promise<{ rate: number; cpu: Cpu }> {
  const sockets = Array.from({ length: n }, () => io(`${url}/echo`, { transports: ['websocket'], reconnection: false, forceNew: true }))
  await Promise.all(sockets.map((s) => new Promise((r) => (s.connected ? r(null) : s.once('connect', () => r(null))))))
  let count = 0
  let running = true
  const loop = async (s: Socket) => {
    while (running) {
      await s.emitWithAck('echo', 1)
      count++
    }
  }
  const loops = sockets.map(loop)
  await sleep(1000)
  const c0 = count
  const t0 = performance.now()
  const cpu = cpuWindow(pid)
  await sleep(seconds * 1000)
  const rate = (count - c0) / ((performance.now() - t0) / 1000)
  const used = cpu.end(count - c0)
  running = false
  await Promise.race([Promise.all(loops), sleep(2000)])
  for (const s of sockets) s.close()
  return { rate, cpu: used }
}

/** Other work on the machine (more than half a core) while the ceiling ran: it made the ceiling low, and the ratio high. */
const CEILING_DISTURBED_CORES = 0.5

async function one(db: 'sqlite' | 'postgres', pgService: Service | null) {
  const dataDir = tempDir('nimble-load-')
  const env: Record<string, string> = { NIMBLE_DATA_DIR: dataDir, NIMBLE_ADMIN_KEY: 'bench-owner-key-0123456789', NIMBLE_CHAIN: 'off', NIMBLE_LOG_LEVEL: 'warn', NIMBLE_LEASE_MS: '60000', NIMBLE_STRAGGLER_FACTOR: '0', NODE_ENV: 'production', NIMBLE_REPLICATION: 'off', NIMBLE_SPOT_CHECK_RATE: '0', NIMBLE_CANARY_RATE: '0', NIMBLE_DEVICE_MAX_TASKS: String(SLOTS) }
  if (db === 'postgres') env.DATABASE_URL = await createDatabase(pgService!.url, 'nimble_bench')
  // As `npm start` runs it: a larger young generation (see the README, Benchmarks).
  const server: Proc = run(['--max-semi-space-size=64', ...NODE_FLAGS, ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []), 'bench/load-server.ts'], env, `load-server:${db}`)
  const ready = await server.waitFor(/READY \d+ \d+/, 120_000)
  const [, port, echoPort] = ready.split(' ')
  const url = `http://127.0.0.1:${port}`
  const store = await openStore(dataDir, env.DATABASE_URL, { poolSize: 2 })
  let done = 0
  let refused = 0
  const latencies: number[] = []
  let measuring = false
  const devices = await connectDevices(url, WORKERS, (lat, ok) => {
    if (lat !== null) {
      if (measuring) latencies.push(lat)
      return
    }
    if (ok) done++
    else refused++
  })
  // Every device joins (hello acknowledged) before there is work. Joining while the coordinator
  // is saturated takes turns of its event loop that grow with the load: devices that connected
  // into a busy coordinator timed out (an earlier version of this benchmark ran with ~130 of
  // its 1,000 devices connected and did not notice).
  const joinBy = performance.now() + 120_000
  while (devices.filter((d) => d.joined).length < WORKERS && performance.now() < joinBy) await sleep(250)
  const joined = devices.filter((d) => d.joined).length
  const joinMs = { p50: pct(connectMs, 50), p99: pct(connectMs, 99) }
  if (joined < WORKERS) console.error(`warning: only ${joined} of ${WORKERS} devices joined within 120 s; ${[...dropped].map(([k, n]) => `${n}× ${k}`).join(', ') || 'no connection errors'}`)
  // The coordinator seeds its own tasks (bench/load-feeder.ts), through its own store: on
  // SQLite a second process writing them had to share the one write lock with it.
  // Twice what the devices can hold at once stays queued.
  const feed = async (what: 'start' | 'stop') => {
    const r = await fetch(`${url}/bench/feed/${what}${what === 'start' ? `?window=${Math.max(4000, 2 * WORKERS * SLOTS)}` : ''}`, { method: 'POST' })
    if (!r.ok) throw new Error(`feeder ${what}: ${r.status} ${await r.text()}`)
  }
  await feed('start')
  await sleep(3000) // warm up: every device busy
  const rss0 = rssMiB(server.child.pid!)
  measuring = true
  const perDevice0 = devices.map((d) => d.tasks)
  const d0 = done
  const t0 = performance.now()
  const cpuRun = cpuWindow(server.child.pid!)
  await sleep(SECONDS * 1000)
  const rate = (done - d0) / ((performance.now() - t0) / 1000)
  const cpu = cpuRun.end(done - d0)
  measuring = false
  // Devices that got work during the run: a low count means the dispatcher, not the devices, is the limit.
  const active = devices.filter((d, i) => d.tasks > perDevice0[i]).length
  const rssAfterRun = rssMiB(server.child.pid!)
  // Soak: keep the load on, sample memory.
  const samples: number[] = [rssAfterRun]
  const soakStart = done
  const ts = performance.now()
  for (let s = 0; s < SOAK; s += 5) {
    await sleep(Math.min(5, SOAK - s) * 1000)
    samples.push(rssMiB(server.child.pid!))
  }
  const soakRate = SOAK ? (done - soakStart) / ((performance.now() - ts) / 1000) : NaN
  // Every device leaves at once (after the soak, or the run without one): how long until no lease is left.
  const leased = async () => Number((await store.selectFrom('instances').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'leased').executeTakeFirst())?.n ?? 0)
  // On PostgreSQL the devices run in step (a pass leases to most of them at once, then they all
  // return results), so the count swings between nothing and every slot: leave when at least
  // half the slots are leased (or after 5 s), so there is a storm to measure.
  let heldAtClose = await leased()
  for (const until = performance.now() + 5000; heldAtClose < (WORKERS * SLOTS) / 2 && performance.now() < until; heldAtClose = await leased()) await sleep(10)
  const closedAt = performance.now()
  for (const d of devices) d.socket.close()
  // Until none is left, and none comes back for 2 s: a dispatch pass that chose tasks for the
  // devices just before they left writes its leases after they left (up to 4,000 on
  // PostgreSQL), and those are freed when they come back orphaned. Stopping at the first
  // empty count missed them in some runs and not others (0.5 to 3.6 s for the same code).
  let releaseMs = NaN
  let emptySince = NaN
  while (performance.now() - closedAt < 60_000) {
    const n = await leased()
    const t = performance.now()
    if (n > 0) emptySince = NaN
    else if (Number.isNaN(emptySince)) emptySince = t
    else if (t - emptySince >= 2000) {
      releaseMs = emptySince - closedAt
      break
    }
    await sleep(50)
  }
  await feed('stop')
  await sleep(1000)
  // The ceiling is measured on a quiet machine: after a PostgreSQL soak, PostgreSQL's own
  // processes (autovacuum, checkpoints) went on using most of a core for a while, which lowered
  // the ceiling and raised the ratio. Wait (at most a minute) until other work is under a fifth of a core.
  const quietWait = await untilQuiet(60_000, server.child.pid!)
  const echo = await echoRate(`http://127.0.0.1:${echoPort}`, WORKERS, Math.min(SECONDS, 10), server.child.pid!)
  const ceiling = echo.rate
  const credits = await store.selectFrom('credits').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst()
  await store.destroy()
  await server.kill('SIGTERM')
  fs.rmSync(dataDir, { recursive: true, force: true })
  return { db, rate, cpu, ceilingCpu: echo.cpu, joined, joinMs, active, ceiling, p50: pct(latencies, 50), p99: pct(latencies, 99), refused, credits: Number(credits?.n ?? 0), rss0, samples, soakRate, soak: samples.length >= 3 ? soakSummary(samples, 5) : null, release: { leases: heldAtClose, ms: releaseMs }, quietWaitMs: quietWait }
}

const pgService = DBS.includes('postgres') ? await startPostgres(process.env.NIMBLE_SQL_PROFILE ? ['shared_preload_libraries=pg_stat_statements'] : []) : null

const rows = []
try {
  for (const db of DBS as ('sqlite' | 'postgres')[]) {
    const r = await one(db, pgService)
    if (db === 'postgres' && process.env.NIMBLE_SQL_PROFILE) console.log(await pgStatements(pgService!.url))
    rows.push(r)
    console.log(
      `${r.db.padEnd(9)} ${WORKERS} devices × ${SLOTS} slot(s): ${r.rate.toFixed(0)} tasks/s completed (assign→result→validate→credit), ` +
        `dispatch latency p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms; ${r.joined} joined (connect p50 ${r.joinMs.p50.toFixed(0)} ms p99 ${r.joinMs.p99.toFixed(0)} ms), ${r.active} got work during the run; ceiling (acked Socket.IO round trips, same process, ${WORKERS} clients) ${r.ceiling.toFixed(0)}/s ` +
        `=> ${((100 * r.rate) / r.ceiling).toFixed(0)}% of ceiling; ${r.credits} credits, ${r.refused} refused; ` +
        `RSS ${r.rss0} MiB at start, ${r.samples.join('→')} MiB over a ${SOAK}s soak (${r.soakRate.toFixed(0)} tasks/s)`,
    )
    // The steadier figure on a shared machine: what one task costs the coordinator, next to what one ceiling round trip does.
    console.log(
      `${''.padEnd(9)} coordinator CPU: ${r.cpu.coordinatorUsPerUnit.toFixed(0)} µs per task (${(100 * r.cpu.coordinatorCores).toFixed(0)}% of a core), ` +
        `${r.ceilingCpu.coordinatorUsPerUnit.toFixed(1)} µs per ceiling round trip (${(100 * r.ceilingCpu.coordinatorCores).toFixed(0)}% of a core); ` +
        `the simulated devices' process: ${(100 * r.cpu.devicesCores).toFixed(0)}% of a core during the run, ${(100 * r.ceilingCpu.devicesCores).toFixed(0)}% during the ceiling; ` +
        `other processes: ${(100 * r.cpu.otherCores).toFixed(0)}% during the run${r.db === 'postgres' ? ' (PostgreSQL among them)' : ''}, ${(100 * r.ceilingCpu.otherCores).toFixed(0)}% during the ceiling`,
    )
    console.log(
      `${''.padEnd(9)} all ${WORKERS} devices leaving at once: their ${r.release.leases} leases back in the queue ${Number.isNaN(r.release.ms) ? 'NOT within 60 s' : `in ${(r.release.ms / 1000).toFixed(2)} s`}`,
    )
    if (r.quietWaitMs > 5000) console.log(`${''.padEnd(9)} the ceiling waited ${(r.quietWaitMs / 1000).toFixed(0)} s for other processes to go quiet`)
    if (r.ceilingCpu.otherCores > CEILING_DISTURBED_CORES)
      console.log(
        `${''.padEnd(9)} warning: other processes used ${(100 * r.ceilingCpu.otherCores).toFixed(0)}% of a core while the ceiling ran: it is low and the ratio high; run again on a quiet machine`,
      )
    if (r.samples.length >= 3) {
      const m = soakSummary(r.samples, 5)
      console.log(`${''.padEnd(9)} soak RSS: ${m.first} MiB after the run, max ${m.max}, last ${m.last}; least-squares slope ${m.slopePerMin.toFixed(2)} MiB/min (second half ${m.secondHalfSlopePerMin.toFixed(2)} MiB/min)`)
    }
  }
} finally {
  await pgService?.stop()
}
fs.mkdirSync('bench/results', { recursive: true })
fs.writeFileSync('bench/results/load.json', JSON.stringify({ workers: WORKERS, slots: SLOTS, seconds: SECONDS, soak: SOAK, uniqueResults: UNIQUE, at: new Date().toISOString(), rows }, null, 2))
process.exit(0)
