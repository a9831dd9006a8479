/**
 * Fuzzing through the real server: random bodies, query strings and content types on every
 * REST route, and random payloads on every socket event. No 500, no crash; every refusal is
 * a 4xx with a code. (The pure parsers get thousands of cases each in lib/protocol/fuzz.test.ts.)
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { io } from 'socket.io-client'
import { DEVICE_CLIENT_EVENTS, PROTOCOL_VERSION } from '../../lib/protocol'
import { startCoordinator, stopAll, type Coord } from '../testing/harness'

let coord: Coord
const RUNS = Number(process.env.NIMBLE_FUZZ_HTTP_RUNS ?? 400)
const profile = { kind: 'headless', backend: 'cpu', benchmarks: [{ backend: 'cpu', gflops: 1, size: 256 }], adapter: null, memoryBudget: 1e8 }

beforeAll(async () => {
  coord = await startCoordinator({ env: { NIMBLE_RATE_PER_IP: '0', NIMBLE_RATE_PER_KEY: '0', NIMBLE_MAX_UPLOAD_BYTES: '65536' } })
}, 120_000)
afterAll(stopAll)

const routes: [string, string][] = [
  ['POST', '/api/jobs'],
  ['POST', '/api/jobs/estimate'],
  ['GET', '/api/jobs/job_x'],
  ['POST', '/api/jobs/job_x/cancel'],
  ['POST', '/api/jobs/job_x/predict'],
  ['POST', '/api/datasets'],
  ['GET', '/api/datasets/ds_x'],
  ['POST', '/api/models'],
  ['GET', '/api/plan'],
  ['POST', '/api/auth/signin'],
  ['POST', '/api/keys'],
  ['DELETE', '/api/keys/key_abcdefgh'],
  ['POST', '/api/wallet/link'],
  ['GET', '/api/rewards/0x0000000000000000000000000000000000000001'],
  ['GET', '/api/blobs/' + 'a'.repeat(64)],
]

describe('REST under fuzz', () => {
  it('answers every random request with < 500 and a coded error', async () => {
    const body = fc.oneof(fc.string({ maxLength: 300 }), fc.jsonValue().map((v) => JSON.stringify(v)), fc.constant(''), fc.constant('a,b\n1,2\n'), fc.constant('{"type":"train","datasetId":"x","target":"y","model":{"template":"mlp"},"epochs":1e9}'))
    const ctype = fc.constantFrom('application/json', 'text/csv', 'application/zip', 'multipart/form-data; boundary=x', 'text/plain', '', 'application/octet-stream')
    const query = fc.dictionary(fc.constantFrom('params', 'deviceMemory', 'bandwidth', 'microBatches', 'layers', 'gflops', 'training', 't', 'x'), fc.string({ maxLength: 20 }), { maxKeys: 5 })
    const auth = fc.constantFrom('admin', 'none', 'junk')
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), body, ctype, query, auth, async ([method, p], b, ct, q, a) => {
        const qs = new URLSearchParams(q).toString()
        const headers: Record<string, string> = {}
        if (ct) headers['content-type'] = ct
        if (a === 'admin') headers.authorization = `Bearer ${coord.key}`
        if (a === 'junk') headers.authorization = 'Bearer nmk_notakey'
        const res = await fetch(`${coord.url}${p}${qs ? `?${qs}` : ''}`, { method, headers, body: method === 'GET' || method === 'DELETE' ? undefined : b })
        const text = await res.text()
        expect(res.status, `${method} ${p} ${text.slice(0, 200)}`).toBeLessThan(500)
        if (res.status >= 400) expect(JSON.parse(text).error.code).toMatch(/^[a-z_]+$/)
      }),
      { numRuns: RUNS, seed: 2024 },
    )
    expect((await fetch(`${coord.url}/api/health`)).status).toBe(200)
  }, 300_000)
})

describe('sockets under fuzz', () => {
  it('drops or answers every random event, and stays up', async () => {
    // Every event the /devices namespace knows, plus ones it must refuse.
    const events = fc.constantFrom(...DEVICE_CLIENT_EVENTS, 'evil:event', 'job:subscribe')
    const payload = fc.oneof(
      fc.anything(),
      fc.jsonValue(),
      fc.record({ protocolVersion: fc.constantFrom(PROTOCOL_VERSION, 0, 'x'), name: fc.string(), profile: fc.anything() }),
      // A well-formed hello with any `slots`: accepted (capped at NIMBLE_DEVICE_MAX_TASKS) or refused, never a crash.
      fc.record({ protocolVersion: fc.constant(PROTOCOL_VERSION), name: fc.constant('fuzz'), profile: fc.constant(profile), slots: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.double(), fc.anything()) }),
      fc.uint8Array({ maxLength: 64 }),
    )
    await fc.assert(
      fc.asyncProperty(events, payload, payload, async (event, a, b) => {
        const s = io(`${coord.url}/devices`, { transports: ['websocket'], reconnection: false })
        await new Promise<void>((resolve) => {
          const done = () => resolve()
          s.on('disconnect', done)
          setTimeout(done, 300)
          s.emit(event, a, b, () => done())
        })
        s.disconnect()
      }),
      { numRuns: Math.round(RUNS / 2), seed: 77 },
    )
    const health = await fetch(`${coord.url}/api/health`)
    expect(health.status).toBe(200)
    expect(coord.child.exitCode).toBeNull()
  }, 300_000)
})
