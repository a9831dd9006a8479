/**
 * The jobs list by push: `jobs:subscribe` on /live answers the caller's jobs, then every job
 * created or changed reaches its owner's open lists (`jobs:update`) with no request from them.
 * An owner signed in with a wallet (session cookie in the handshake) hears only their own
 * jobs; the operator hears every job; a socket with no credentials is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { io, type Socket } from 'socket.io-client'
import { LIVE_NAMESPACE, type JobView, type LiveClientToServer, type LiveServerToClient } from '../../lib/protocol'
import { irisCsv } from '../testing/iris'
import { startCoordinator, stopAll, type Coord } from '../testing/harness'
import { makeOwner, type TestOwner } from '../testing/owners'

type Live = Socket<LiveServerToClient, LiveClientToServer>

let coord: Coord
let alice: TestOwner
let bob: TestOwner
const sockets: Live[] = []

beforeAll(async () => {
  coord = await startCoordinator()
  alice = await makeOwner(coord.url, '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
  bob = await makeOwner(coord.url, '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
}, 120_000)
afterAll(async () => {
  for (const s of sockets) s.disconnect()
  await stopAll()
})

/** A /live socket that records every jobs:update it hears. */
async function liveList(opts: { key?: string; cookie?: string }): Promise<{ socket: Live; heard: JobView[]; initial: JobView[]; next: (pred: (j: JobView) => boolean) => Promise<JobView> }> {
  const socket: Live = io(coord.url + LIVE_NAMESPACE, { transports: ['websocket'], reconnection: false, auth: opts.key ? { key: opts.key } : {}, extraHeaders: opts.cookie ? { cookie: opts.cookie } : {} })
  sockets.push(socket)
  const heard: JobView[] = []
  const waiters: { pred: (j: JobView) => boolean; resolve: (j: JobView) => void }[] = []
  socket.on('jobs:update', (j) => {
    heard.push(j)
    for (const w of [...waiters]) if (w.pred(j)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(j))
  })
  const res = await socket.timeout(10_000).emitWithAck('jobs:subscribe')
  if (!res.ok) throw new Error(`${res.error.code}: ${res.error.message}`)
  const next = (pred: (j: JobView) => boolean) =>
    new Promise<JobView>((resolve, reject) => {
      const seen = heard.find(pred)
      if (seen) return resolve(seen)
      const t = setTimeout(() => reject(new Error('no matching jobs:update within 20 s')), 20_000)
      waiters.push({ pred, resolve: (j) => (clearTimeout(t), resolve(j)) })
    })
  return { socket, heard, initial: res.jobs, next }
}

async function submit(owner: TestOwner): Promise<string> {
  const ds = await owner.api.call('POST', '/api/datasets', irisCsv().train, { 'x-filename': 'iris.csv' })
  expect(ds.status).toBe(201)
  const job = await owner.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'logistic' }, epochs: 2 })
  expect(job.status, JSON.stringify(job.body)).toBe(201)
  return job.body.id
}

describe('the jobs list updates by push', () => {
  it('an owner hears of their new job and its status change, never of another owner’s; the operator hears all', async () => {
    const aliceList = await liveList({ cookie: alice.cookie }) // a wallet sign-in: the session cookie
    const bobList = await liveList({ key: bob.key })
    const adminList = await liveList({ key: coord.key })
    expect(aliceList.initial).toEqual([])
    expect(bobList.initial).toEqual([])

    const aliceJob = await submit(alice)
    expect((await aliceList.next((j) => j.id === aliceJob)).status).toMatch(/^(queued|running)$/)
    await adminList.next((j) => j.id === aliceJob)

    // No device is online, so the job waits; cancelling it is a status change pushed to the list.
    expect((await alice.api.call('POST', `/api/jobs/${aliceJob}/cancel`)).status).toBe(200)
    await aliceList.next((j) => j.id === aliceJob && j.status === 'cancelled')

    // Bob's own job arrives on his connection after anything of Alice's would have: he heard none of hers.
    const bobJob = await submit(bob)
    await bobList.next((j) => j.id === bobJob)
    expect(bobList.heard.map((j) => j.id)).not.toContain(aliceJob)
    expect(aliceList.heard.map((j) => j.id)).not.toContain(bobJob)

    // A list opened now starts with the owner's jobs only.
    const again = await liveList({ key: alice.key })
    expect(again.initial.map((j) => j.id)).toEqual([aliceJob])
  })

  it('refuses a socket with no credentials', async () => {
    const socket: Live = io(coord.url + LIVE_NAMESPACE, { transports: ['websocket'], reconnection: false })
    sockets.push(socket)
    const res = await socket.timeout(10_000).emitWithAck('jobs:subscribe')
    expect(res).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
  })
})
