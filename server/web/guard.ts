/**
 * The first thing every HTTP request meets in the custom server: security headers, CORS
 * (closed unless NIMBLE_CORS_ORIGINS lists the origin), rate limits per IP and per key on
 * /api, and a refusal while shutting down. Refusals use the API's error shape and a code
 * that names the limit.
 */
import crypto from 'node:crypto'
import type http from 'node:http'
import type { Config } from '../config'
import { securityHeaders } from './headers'
import { RateLimiter } from './rate-limit'

export type Guard = (req: http.IncomingMessage, res: http.ServerResponse) => boolean

function refuse(res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): true {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers })
  res.end(JSON.stringify({ error: { code, message } }))
  return true
}

/** The bucket of the credential a request carries (a hash: the key itself is never kept). */
function keyBucket(req: http.IncomingMessage): string | null {
  const auth = req.headers.authorization
  const cookie = /(?:^|;\s*)nimble_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
  const cred = auth ?? cookie
  return cred ? crypto.createHash('sha256').update(cred).digest('hex').slice(0, 24) : null
}

export function createGuard(config: Config, opts: { connect: () => string[]; draining: () => boolean; now?: () => number }): Guard {
  const perIp = new RateLimiter(config.NIMBLE_RATE_PER_IP, opts.now)
  const perKey = new RateLimiter(config.NIMBLE_RATE_PER_KEY, opts.now)
  const allowed = new Set(config.NIMBLE_CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean))
  let headers: Record<string, string> | null = null
  return (req, res) => {
    const https = req.headers['x-forwarded-proto'] === 'https' || (req.socket as { encrypted?: boolean }).encrypted === true
    headers ??= securityHeaders({ dev: config.dev, connect: opts.connect(), https })
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
    const url = req.url ?? '/'
    if (!url.startsWith('/api/')) return false
    const origin = req.headers.origin
    if (origin && origin !== 'null') {
      const same = (() => {
        try {
          return new URL(origin).host === req.headers.host
        } catch {
          return false
        }
      })()
      if (!same) {
        if (!allowed.has(origin)) return refuse(res, 403, 'cross_origin', `requests from ${origin.slice(0, 100)} are not allowed (CORS is closed; list the origin in NIMBLE_CORS_ORIGINS)`)
        res.setHeader('access-control-allow-origin', origin)
        res.setHeader('vary', 'Origin')
        if (req.method === 'OPTIONS') {
          res.writeHead(204, { 'access-control-allow-methods': 'GET, POST, DELETE', 'access-control-allow-headers': 'authorization, content-type, x-filename, x-model-name', 'access-control-max-age': '600' })
          res.end()
          return true
        }
      }
    }
    if (opts.draining() && req.method !== 'GET' && !url.startsWith('/api/health')) {
      return refuse(res, 503, 'shutting_down', 'the coordinator is shutting down; try again in a minute', { 'retry-after': '30' })
    }
    // Health checks and lease-token blob fetches are not counted: the token already limits them to held tasks.
    if (url.startsWith('/api/health') || (url.startsWith('/api/blobs/') && url.includes('?t='))) return false
    const ip = req.socket.remoteAddress ?? 'unknown'
    const waitIp = perIp.hit(ip)
    if (waitIp) return refuse(res, 429, 'rate_limited', `too many requests from your address: the limit is ${config.NIMBLE_RATE_PER_IP} a minute (NIMBLE_RATE_PER_IP)`, { 'retry-after': String(waitIp) })
    const bucket = keyBucket(req)
    if (bucket) {
      const waitKey = perKey.hit(bucket)
      if (waitKey) return refuse(res, 429, 'rate_limited', `too many requests with this key: the limit is ${config.NIMBLE_RATE_PER_KEY} a minute (NIMBLE_RATE_PER_KEY)`, { 'retry-after': String(waitKey) })
    }
    return false
  }
}
