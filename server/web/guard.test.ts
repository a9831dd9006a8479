import { EventEmitter } from 'node:events'
import type http from 'node:http'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../config'
import { createGuard } from './guard'
import { RateLimiter } from './rate-limit'

function fakeReq(url: string, headers: Record<string, string> = {}, ip = '10.0.0.1', method = 'GET'): http.IncomingMessage {
  return Object.assign(new EventEmitter(), { url, headers: { host: 'nimble.test', ...headers }, method, socket: { remoteAddress: ip } }) as unknown as http.IncomingMessage
}

function fakeRes() {
  const r = { status: 0, headers: {} as Record<string, string>, body: '' }
  const res = {
    setHeader: (k: string, v: string) => (r.headers[k.toLowerCase()] = v),
    writeHead: (s: number, h: Record<string, string> = {}) => {
      r.status = s
      for (const [k, v] of Object.entries(h)) r.headers[k.toLowerCase()] = v
    },
    end: (b?: string) => (r.body = b ?? ''),
  }
  return { res: res as unknown as http.ServerResponse, r }
}

describe('RateLimiter', () => {
  it('allows the limit per minute, then says how long to wait', () => {
    let t = 60_000 * 100
    const rl = new RateLimiter(5, () => t)
    for (let i = 0; i < 5; i++) expect(rl.hit('a')).toBe(0)
    expect(rl.hit('a')).toBeGreaterThan(0)
    expect(rl.hit('b')).toBe(0)
    t += 120_000
    expect(rl.hit('a')).toBe(0)
  })
})

describe('guard', () => {
  const config = loadConfig({ NIMBLE_RATE_PER_IP: '3', NIMBLE_RATE_PER_KEY: '2', NIMBLE_DATA_DIR: '/tmp/nimble-guard-test', NIMBLE_CHAIN: 'off' })
  it('rate-limits per IP with 429 rate_limited naming the variable', () => {
    const guard = createGuard(config, { connect: () => [], draining: () => false })
    for (let i = 0; i < 3; i++) expect(guard(fakeReq('/api/network'), fakeRes().res)).toBe(false)
    const { res, r } = fakeRes()
    expect(guard(fakeReq('/api/network'), res)).toBe(true)
    expect(r.status).toBe(429)
    expect(JSON.parse(r.body).error).toMatchObject({ code: 'rate_limited' })
    expect(JSON.parse(r.body).error.message).toContain('NIMBLE_RATE_PER_IP')
    expect(r.headers['retry-after']).toMatch(/^\d+$/)
    // Pages are not API calls and are not counted.
    expect(guard(fakeReq('/dashboard'), fakeRes().res)).toBe(false)
  })
  it('rate-limits per key across addresses', () => {
    const guard = createGuard(config, { connect: () => [], draining: () => false })
    const auth = { authorization: 'Bearer nmk_abc' }
    expect(guard(fakeReq('/api/jobs', auth, '1.1.1.1'), fakeRes().res)).toBe(false)
    expect(guard(fakeReq('/api/jobs', auth, '1.1.1.2'), fakeRes().res)).toBe(false)
    const { res, r } = fakeRes()
    expect(guard(fakeReq('/api/jobs', auth, '1.1.1.3'), res)).toBe(true)
    expect(JSON.parse(r.body).error.message).toContain('NIMBLE_RATE_PER_KEY')
  })
  it('closes CORS unless the origin is listed', () => {
    const open = createGuard(loadConfig({ NIMBLE_CORS_ORIGINS: 'https://ok.example', NIMBLE_DATA_DIR: '/tmp/nimble-guard-test', NIMBLE_CHAIN: 'off' }), { connect: () => [], draining: () => false })
    const bad = fakeRes()
    expect(open(fakeReq('/api/jobs', { origin: 'https://evil.example' }), bad.res)).toBe(true)
    expect(bad.r.status).toBe(403)
    const good = fakeRes()
    expect(open(fakeReq('/api/jobs', { origin: 'https://ok.example' }, '9.9.9.9', 'OPTIONS'), good.res)).toBe(true)
    expect(good.r.status).toBe(204)
    expect(good.r.headers['access-control-allow-origin']).toBe('https://ok.example')
    expect(open(fakeReq('/api/jobs', { origin: 'http://nimble.test' }), fakeRes().res)).toBe(false)
  })
  it('sets the CSP with the chain RPC origin, and refuses writes while draining', () => {
    let draining = false
    const guard = createGuard(config, { connect: () => ['http://127.0.0.1:8545'], draining: () => draining })
    const { res, r } = fakeRes()
    guard(fakeReq('/'), res)
    expect(r.headers['content-security-policy']).toContain("connect-src 'self' http://127.0.0.1:8545")
    expect(r.headers['content-security-policy']).toContain("'wasm-unsafe-eval'")
    expect(r.headers['content-security-policy']).not.toContain("'unsafe-eval'")
    draining = true
    const d = fakeRes()
    expect(guard(fakeReq('/api/datasets', {}, '5.5.5.5', 'POST'), d.res)).toBe(true)
    expect(d.r.status).toBe(503)
    expect(JSON.parse(d.r.body).error.code).toBe('shutting_down')
  })
})
