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
  const server = http.createServer((req, res) => {
    if (serveWasm(req, res) || serveMetrics(req, res)) return
    void handle(req, res)
  })
  const coordinator = await startCoordinator(config, server, log)
  setCoordinator(coordinator)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.PORT, config.HOST, () => resolve())
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : config.PORT
  log.info({ port, dataDir: config.dataDir }, `Nimble coordinator listening on http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}`)
  if (coordinator.ownerKey.generated) {
    // Shown once, on the terminal only (not through the log pipeline).
    process.stderr.write(`\n  Owner key (keep it secret; also saved in ${coordinator.ownerKey.file}):\n\n    ${coordinator.ownerKey.key}\n\n`)
  } else if (coordinator.ownerKey.file) {
    process.stderr.write(`\n  Owner key: see ${coordinator.ownerKey.file}\n\n`)
  }
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down')
    setTimeout(() => process.exit(0), 5000).unref()
    await coordinator.close().catch(() => {})
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
