/**
 * The coordinator process: one HTTP server carrying the Next.js app (pages and /api
 * routes), Socket.IO (devices and live dashboards) and the tfjs wasm binaries.
 * Start: `npm start` (production build) or `npm run dev`.
 */
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import next from 'next'
import { ConfigError, loadConfig } from './config'
import { startCoordinator } from './coordinator'
import { setCoordinator } from './container'
import { createLogger } from './log'
import { metricsRegistry } from './metrics'
import { createGuard } from './web/guard'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const WASM_DIR = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')

/** GET /metrics: Prometheus text format (server/metrics.ts). Public like /api/health; keep it off the internet at the proxy. */
function serveMetrics(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') return false
  metricsRegistry.metrics().then(
    (text) => {
      res.writeHead(200, { 'content-type': metricsRegistry.contentType, 'cache-control': 'no-store' })
      res.end(text)
    },
    (e: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(`metrics failed: ${e.message}\n`)
    },
  )
  return true
}

function serveWasm(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const m = /^\/tfjs-wasm\/(tfjs-backend-wasm(?:-simd|-threaded-simd)?\.wasm)$/.exec(req.url?.split('?')[0] ?? '')
  if (!m) return false
  const file = path.join(WASM_DIR, m[1])
  if (!fs.existsSync(file)) return false
  res.writeHead(200, { 'content-type': 'application/wasm', 'cache-control': 'public, max-age=86400', 'content-length': fs.statSync(file).size })
  fs.createReadStream(file).pipe(res)
  return true
}

async function main(): Promise<void> {
  const dev = process.argv.includes('--dev')
  let config
  try {
    config = loadConfig(process.env, { dev })
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message)
      process.exit(2)
    }
    throw e
  }
  const log = createLogger(config.NIMBLE_LOG_LEVEL)
  const app = next({ dev, dir: root, hostname: config.HOST, port: config.PORT, turbopack: dev })
  await app.prepare()
  const handle = app.getRequestHandler()
  let stopping = false
  let coordinator: Awaited<ReturnType<typeof startCoordinator>> | null = null
  const guard = createGuard(config, {
    draining: () => stopping,
    // The wallet UI talks to the chain's JSON-RPC endpoint straight from the page.
    connect: () => {
      if (!coordinator) return []
      try {
        // With rewards off, chainInfo answers a rejected promise: no chain to reach.
        const info = coordinator.rewards.chainInfo() as unknown
        if (info instanceof Promise) return info.catch(() => {}), []
        return [new URL((info as { rpcUrl: string }).rpcUrl).origin]
      } catch {
        return []
      }
    },
  })
  const server = http.createServer((req, res) => {
    if (guard(req, res)) return
    if (serveWasm(req, res) || serveMetrics(req, res)) return
    void handle(req, res)
  })
  coordinator = await startCoordinator(config, server, log)
  setCoordinator(coordinator)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.PORT, config.HOST, () => resolve())
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : config.PORT
  log.info({ port, dataDir: config.dataDir }, `Nimble coordinator listening on http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}`)
  if (coordinator.ownerKey.file) {
    // The key itself never goes to a terminal or a log line: only where to find it.
    process.stderr.write(`\n  Admin key ${coordinator.ownerKey.generated ? 'generated' : 'kept'} in ${coordinator.ownerKey.file} (mode 0600; keep it secret)\n\n`)
  }
  const c = coordinator
  // SIGTERM drains: no new leases or jobs, in-flight results accepted for the grace period, then the store is closed (WAL checkpointed).
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    const grace = config.NIMBLE_SHUTDOWN_GRACE_MS
    log.info({ signal, graceMs: grace }, `shutting down (${signal}): draining for up to ${grace} ms`)
    setTimeout(() => process.exit(1), grace + 15_000).unref()
    const { leftLeased } = await c.drain(grace).catch((e) => (log.error({ err: e }, 'drain failed'), { leftLeased: -1 }))
    await c.close().catch((e) => log.error({ err: e }, 'close failed'))
    log.info({ leftLeased }, `coordinator state:draining=>stopped left_leased:${leftLeased}`)
    server.close(() => process.exit(0))
    server.closeAllConnections?.()
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
