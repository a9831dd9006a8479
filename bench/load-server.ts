/**
 * The coordinator under `npm run bench:load`: the real services (store, dispatcher, validator,
 * Socket.IO) on an http server without the Next.js app, plus a bare Socket.IO echo server on a
 * second port: the acked round-trip ceiling the same process can reach. Prints `READY <port> <echoPort>`.
 * The benchmark's tasks are seeded here, through the coordinator's own store (bench/load-feeder.ts).
 */
import fs from 'node:fs'
import http from 'node:http'
import { Session } from 'node:inspector/promises'
import { Server as IOServer } from 'socket.io'
import { loadConfig } from '../server/config'
import { startCoordinator } from '../server/coordinator'
import { createLogger } from '../server/log'
import { feeder } from './load-feeder'

const config = loadConfig(process.env)
const log = createLogger(config.NIMBLE_LOG_LEVEL)
// POST /bench/feed/start[?window=N] seeds the benchmark's tasks and keeps them topped up (bench/load-feeder.ts); /stop stops.
let feed: ReturnType<typeof feeder> | null = null
const server = http.createServer((req, res) => {
  const m = req.method === 'POST' ? /^\/bench\/feed\/(start|stop)(?:\?window=(\d+))?$/.exec(req.url ?? '') : null
  if (!m) return void res.writeHead(404).end()
  const done = m[1] === 'start' ? (feed ??= feeder(coordinator.store, m[2] ? Number(m[2]) : undefined)).ready.then(allocations.start) : (feed?.stop().finally(() => (feed = null)) ?? Promise.resolve()).then(allocations.stop)
  done.then(
    () => res.writeHead(204).end(),
    (e: Error) => res.writeHead(500).end(e.message),
  )
})
/**
 * NIMBLE_BENCH_ALLOC=FILE: V8's sampling heap profile of what this process allocates while it is
 * fed, objects collected since included (a .heapprofile for Chrome DevTools' Memory tab).
 */
const allocations = (() => {
  const file = process.env.NIMBLE_BENCH_ALLOC
  let session: Session | null = null
  return {
    start: async () => {
      if (!file || session) return
      session = new Session()
      session.connect()
      await session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
    },
    stop: async () => {
      if (!file || !session) return
      const { profile } = await session.post('HeapProfiler.stopSampling')
      fs.writeFileSync(file, JSON.stringify(profile))
      session.disconnect()
      session = null
    },
  }
})()
const coordinator = await startCoordinator(config, server, log)
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))

const echoHttp = http.createServer()
const echo = new IOServer(echoHttp, { serveClient: false })
echo.of('/echo').on('connection', (s) => s.on('echo', (x: unknown, ack: (x: unknown) => void) => ack(x)))
await new Promise<void>((r) => echoHttp.listen(0, '127.0.0.1', () => r()))

const port = (server.address() as { port: number }).port
const echoPort = (echoHttp.address() as { port: number }).port
process.stdout.write(`READY ${port} ${echoPort}\n`)
process.on('SIGTERM', () => void coordinator.close().finally(() => process.exit(0)))
// NIMBLE_BENCH_MEMORY=1: every 10 s, where the RSS is: V8's heap (used and committed), memory
// outside it that V8 knows of (buffers), and the rest (native: SQLite's page cache, malloc's arenas).
// With NIMBLE_BENCH_NODE_FLAGS=--expose-gc, a full collection comes first: "heap used" is then
// what is still reachable, the figure that grows if something leaks (a sawtooth's lows can rise
// only because V8 let its heap grow).
if (process.env.NIMBLE_BENCH_MEMORY) {
  const mib = (n: number) => (n / 2 ** 20).toFixed(0)
  const gc = (globalThis as { gc?: () => void }).gc
  setInterval(() => {
    gc?.()
    const m = process.memoryUsage()
    process.stderr.write(`memory MiB: rss ${mib(m.rss)}, heap used ${mib(m.heapUsed)}${gc ? ' (after a full GC)' : ''} of ${mib(m.heapTotal)}, external ${mib(m.external)} (array buffers ${mib(m.arrayBuffers)}), rest ${mib(m.rss - m.heapTotal - m.external)}\n`)
  }, 10_000).unref()
}
if (process.env.NIMBLE_BENCH_LOOP_DELAY) {
  const { monitorEventLoopDelay } = await import('node:perf_hooks')
  const h = monitorEventLoopDelay({ resolution: 10 })
  h.enable()
  setInterval(() => {
    process.stderr.write(`loop delay p50 ${(h.percentile(50) / 1e6).toFixed(1)} ms p99 ${(h.percentile(99) / 1e6).toFixed(1)} max ${(h.max / 1e6).toFixed(1)}\n`)
    h.reset()
  }, 5000).unref()
}
