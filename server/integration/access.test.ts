/**
 * Accounts and access: owners sign in with Ethereum and use API keys; an owner reaches only
 * their own jobs, datasets, models and blobs (others answer 404); a device fetches only the
 * blobs of the task it holds; a revoked key stops working at once; limits answer with codes.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { io, type Socket } from 'socket.io-client'
import { PROTOCOL_VERSION, type Task } from '../../lib/protocol'
import { irisCsv } from '../testing/iris'
import { startCoordinator, stopAll, waitUntil, type Coord } from '../testing/harness'
import { makeOwner, type TestOwner } from '../testing/owners'

let coord: Coord
let alice: TestOwner
let bob: TestOwner
const iris = irisCsv()
const profile = { kind: 'headless', backend: 'cpu', benchmarks: [{ backend: 'cpu', gflops: 1000, size: 256 }], adapter: null, memoryBudget: 1e9 }

beforeAll(async () => {
  coord = await startCoordinator({ env: { NIMBLE_MAX_JOBS_PER_OWNER: '1', NIMBLE_LEASE_MS: '20000' } })
  alice = await makeOwner(coord.url, '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
  bob = await makeOwner(coord.url, '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
}, 120_000)
afterAll(stopAll)

async function raw(p: string, init: RequestInit = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(coord.url + p, init)
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: res.status, body, headers: res.headers }
}

describe('owners see only their own', () => {
  let datasetId = ''
  let jobId = ''
  let modelId = ''

  it('an owner creates a dataset, a model and a job; another owner gets 404 for each', async () => {
    const ds = await alice.api.call('POST', '/api/datasets', iris.train, { 'x-filename': 'iris.csv' })
    expect(ds.status).toBe(201)
    datasetId = ds.body.id
    const model = await alice.api.call('POST', '/api/models', { template: 'mlp', inputShape: [4], outputSize: 3, hidden: [4] })
    expect(model.status, JSON.stringify(model.body)).toBe(201)
    modelId = model.body.id
    const job = await alice.api.call('POST', '/api/jobs', { type: 'train', datasetId, target: 'species', model: { template: 'logistic' }, epochs: 3 })
    expect(job.status, JSON.stringify(job.body)).toBe(201)
    jobId = job.body.id

    for (const p of [`/api/jobs/${jobId}`, `/api/datasets/${datasetId}`, `/api/models/${modelId}`, `/api/jobs/${jobId}/model`, `/api/jobs/${jobId}/outputs`]) {
      const r = await bob.api.call('GET', p)
      expect(r.status, p).toBe(404)
      expect(r.body.error.code).toBe('not_found')
    }
    expect((await bob.api.call('POST', `/api/jobs/${jobId}/cancel`)).status).toBe(404)
    // Another owner's dataset cannot be trained on either.
    const steal = await bob.api.call('POST', '/api/jobs', { type: 'train', datasetId, target: 'species', model: { template: 'logistic' }, epochs: 1 })
    expect(steal.status).toBe(404)
    expect(steal.body.error.field).toBe('datasetId')
    // Lists hold only one's own; the operator sees everything.
    expect((await bob.api.call('GET', '/api/jobs')).body.jobs).toEqual([])
    expect((await bob.api.call('GET', '/api/datasets')).body.datasets).toEqual([])
    expect((await alice.api.call('GET', '/api/jobs')).body.jobs.map((j: { id: string }) => j.id)).toEqual([jobId])
    expect((await coord.api.call('GET', '/api/jobs')).body.jobs.map((j: { id: string }) => j.id)).toContain(jobId)
    expect((await coord.api.call('GET', `/api/jobs/${jobId}`)).status).toBe(200)
    // A session cookie works like the key.
    expect((await raw(`/api/jobs/${jobId}`, { headers: { cookie: alice.cookie } })).status).toBe(200)
    expect((await raw(`/api/jobs/${jobId}`, { headers: { cookie: bob.cookie } })).status).toBe(404)
  })

  it('refuses a second concurrent job past NIMBLE_MAX_JOBS_PER_OWNER with 429 too_many_jobs', async () => {
    const r = await alice.api.call('POST', '/api/jobs', { type: 'train', datasetId, target: 'species', model: { template: 'logistic' }, epochs: 3 })
    expect(r.status).toBe(429)
    expect(r.body.error.code).toBe('too_many_jobs')
    expect(r.body.error.message).toContain('NIMBLE_MAX_JOBS_PER_OWNER')
  })

  it('serves blobs only with a held lease token; others get 403, the operator may read', async () => {
    const device: Socket = io(`${coord.url}/devices`, { transports: ['websocket'], reconnection: false })
    const task = await new Promise<Task>((resolve, reject) => {
      device.on('task:assign', resolve)
      device.emit('device:hello', { protocolVersion: PROTOCOL_VERSION, name: 'holder', profile }, () => {})
      setTimeout(() => reject(new Error('no task assigned')), 30_000)
    })
    if (task.kind !== 'train') throw new Error('expected a train task')
    expect(task.data.url).toMatch(/\?t=\d+\.\d+\./)
    const ok = await raw(task.data.url)
    expect(ok.status).toBe(200)
    const hashOf = (u: string) => u.split('?')[0].split('/').pop()!
    // No token, another owner's key, the token moved to a blob its task does not name, a forged token: all refused.
    expect((await raw(task.data.url.split('?')[0])).status).toBe(403)
    expect((await raw(task.data.url.split('?')[0], { headers: { authorization: `Bearer ${bob.key}` } })).status).toBe(403)
    const token = task.data.url.split('?t=')[1]
    // One token per lease: it serves every blob of its task (the weights too) ...
    expect(task.weights.url).toBe(`/api/blobs/${hashOf(task.weights.url)}?t=${token}`)
    expect((await raw(`/api/blobs/${hashOf(task.weights.url)}?t=${token}`)).status).toBe(200)
    // ... and no other: refused (403), where a blob its task named but the store lacked would be 404.
    expect((await raw(`/api/blobs/${'f'.repeat(64)}?t=${token}`)).status).toBe(403)
    expect((await raw(`${task.data.url.slice(0, -4)}AAAA`)).status).toBe(403)
    expect((await raw(task.data.url.split('?')[0], { headers: { authorization: `Bearer ${coord.key}` } })).status).toBe(200)
    // Once the device lets the task go, its URLs stop working.
    device.emit('task:failed', { instanceId: task.instanceId, taskId: task.taskId, message: 'test gives the task back' })
    await waitUntil(async () => (await raw(task.data.url)).status === 403, 10_000, 'token refused after release')
    device.disconnect()
  }, 60_000)

  it('a revoked key is refused on its next request', async () => {
    expect((await bob.api.call('GET', '/api/jobs')).status).toBe(200)
    const del = await raw(`/api/keys/${bob.keyId}`, { method: 'DELETE', headers: { cookie: bob.cookie } })
    expect(del.status).toBe(200)
    expect(del.body.revokedAt).not.toBeNull()
    const after = await bob.api.call('GET', '/api/jobs')
    expect(after.status).toBe(401)
    expect(after.body.error.code).toBe('unauthorized')
    // Alice cannot revoke a key that is not hers.
    expect((await raw(`/api/keys/${bob.keyId}`, { method: 'DELETE', headers: { authorization: `Bearer ${alice.key}` } })).status).toBe(404)
  })

  it('settlement is for the operator only', async () => {
    const r = await alice.api.call('POST', '/api/rewards/settle')
    expect(r.status).toBe(403)
  })
})

describe('web security', () => {
  it('sends security headers and a CSP that allows wasm and workers', async () => {
    for (const p of ['/', '/api/health']) {
      const r = await raw(p)
      const csp = r.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("'wasm-unsafe-eval'")
      expect(csp).toContain('worker-src')
      expect(csp).toContain("frame-ancestors 'none'")
      expect(r.headers.get('x-content-type-options')).toBe('nosniff')
      expect(r.headers.get('x-frame-options')).toBe('DENY')
    }
  })

  it('refuses cross-origin API calls (CORS closed) with 403 cross_origin', async () => {
    const r = await raw('/api/jobs', { headers: { origin: 'https://evil.example', authorization: `Bearer ${coord.key}` } })
    expect(r.status).toBe(403)
    expect(r.body.error.code).toBe('cross_origin')
    expect(r.headers.get('access-control-allow-origin')).toBeNull()
    const same = await raw('/api/jobs', { headers: { origin: coord.url, authorization: `Bearer ${coord.key}` } })
    expect(same.status).toBe(200)
  })

  it('the session cookie is HttpOnly and SameSite=Lax', async () => {
    const { signInOwner } = await import('../testing/owners')
    const s = await signInOwner(coord.url, '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6')
    expect(s.cookie).toMatch(/^nimble_session=[A-Za-z0-9_-]{40,}$/)
    expect(s.setCookie).toMatch(/HttpOnly/)
    expect(s.setCookie).toMatch(/SameSite=Lax/)
    // Plain http here: not Secure (browsers would drop it); https adds Secure.
    expect(s.setCookie).not.toMatch(/Secure/)
    // A replayed sign-in (same nonce) is refused.
  })
})

describe('logs', () => {
  it('never print the admin key, an API key or a session token', () => {
    const out = coord.output()
    expect(out.length).toBeGreaterThan(100)
    for (const secret of [coord.key, alice.key, bob.key, alice.cookie.split('=')[1], bob.cookie.split('=')[1]]) expect(out).not.toContain(secret)
  })
})

describe('durability', () => {
  it('refuses a blob damaged on disk (503 blob_corrupt), never serves it', async () => {
    const ds = await coord.api.call('POST', '/api/datasets', 'a,b\n1,2\n3,4\n', { 'x-filename': 'tiny.csv' })
    expect(ds.status).toBe(201)
    const dir = path.join(coord.dataDir, 'blobs')
    const files = fs.readdirSync(dir).filter((d) => d.length === 2).flatMap((d) => fs.readdirSync(path.join(dir, d)).map((f) => path.join(dir, d, f)))
    const victim = files.find((f) => fs.readFileSync(f, 'utf8') === 'a,b\n1,2\n3,4\n')!
    expect(victim).toBeTruthy()
    fs.writeFileSync(victim, 'a,b\n1,2\n3,5\n')
    const r = await raw(`/api/blobs/${path.basename(victim)}`, { headers: { authorization: `Bearer ${coord.key}` } })
    expect(r.status).toBe(503)
    expect(r.body.error.code).toBe('blob_corrupt')
  })
})
