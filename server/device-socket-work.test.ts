/**
 * The /devices handlers' own work (in process, real store, real Socket.IO): a shutdown waits
 * for it before the store goes, and a handler that fails answers with an error instead of
 * rejecting unhandled (which ends the process: the tfjs wasm module rethrows such rejections,
 * exit 7). CI once saw the coordinator exit 7 on SIGTERM: the device the shutdown disconnected
 * was still writing its session when the store was destroyed.
 */
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { Server as IOServer, type Namespace } from 'socket.io'
import { io as connect, type Socket } from 'socket.io-client'
import { DEVICE_NAMESPACE, PROTOCOL_VERSION, type DeviceClientToServer, type DeviceServerToClient } from '../lib/protocol'
import { BlobStore } from './blobs'
import { Bus } from './bus'
import { Cluster } from './cluster'
import { loadConfig } from './config'
import type { Ctx } from './context'
import { attachDeviceNamespace } from './device-socket'
import { Dispatcher } from './dispatcher'
import { Leases } from './leases'
import { createLogger } from './log'
import { Registry } from './registry'
import { openStore, type Store } from './store/db'
import { tempDir } from './testing/harness'
import { Validator } from './validator'

type Client = Socket<DeviceServerToClient, DeviceClientToServer>
const profile = { kind: 'headless' as const, backend: 'cpu' as const, benchmarks: [{ backend: 'cpu' as const, gflops: 5, size: 256 }], adapter: null, memoryBudget: 1e9 }

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function start() {
  const dir = tempDir('nimble-device-work-')
  const db: Store = await openStore(dir)
  const config = loadConfig({ NIMBLE_DATA_DIR: dir, NIMBLE_CHAIN: 'off' })
  const registry = new Registry()
  const ctx: Ctx = { db, blobs: new BlobStore(config.blobDir), bus: new Bus(), log: createLogger('silent'), config, now: Date.now, cluster: new Cluster(db, Date.now), durable: async () => {} }
  const server = http.createServer()
  const ioServer = new IOServer(server, { serveClient: false })
  const nsp = ioServer.of(DEVICE_NAMESPACE) as unknown as Namespace<DeviceClientToServer, DeviceServerToClient>
  const handlers = attachDeviceNamespace(nsp, { ctx, registry, dispatcher: new Dispatcher(ctx, registry), leases: new Leases(ctx, registry), validator: new Validator(ctx, registry) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${DEVICE_NAMESPACE}`
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await new Promise<void>((resolve) => ioServer.close(() => resolve()))
  }
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  cleanups.push(() => db.destroy().catch(() => {}))
  cleanups.push(close)
  const join = async (name: string) => {
    const socket: Client = connect(url, { transports: ['websocket'], reconnection: false })
    cleanups.push(() => void socket.disconnect())
    return { socket, res: await socket.timeout(10_000).emitWithAck('device:hello', { protocolVersion: PROTOCOL_VERSION, name, profile }) }
  }
  return { db, handlers, registry, join, close }
}

describe('device handlers', () => {
  it('settled() waits for the sessions a shutdown ends: each is written before the store may close', async () => {
    const { db, handlers, join, close } = await start()
    const joined = await Promise.all(['a', 'b', 'c'].map(join))
    const ids = joined.map((j) => (j.res.ok ? j.res.deviceId : ''))
    expect(ids.every(Boolean)).toBe(true)
    // The store is busy (another transaction holds the one connection for a moment): the
    // disconnect handlers' writes wait behind it, as they wait on a loaded PostgreSQL.
    const busy = db.transaction().execute(() => new Promise((r) => setTimeout(r, 300)))
    // As the coordinator's close() does: the server disconnects every device, then waits.
    await close()
    await handlers.settled()
    await busy
    const rows = await db.selectFrom('devices').select(['id', 'sessions', 'node_id']).where('id', 'in', ids).execute()
    expect(rows).toHaveLength(3)
    for (const r of rows) expect(r).toMatchObject({ sessions: 1, node_id: null })
    // Now the store can go with nothing left writing to it.
    await db.destroy()
  })

  it('a handler that fails inside the coordinator answers an internal error; nothing rejects unhandled', async () => {
    const { db, handlers, join, registry } = await start()
    await db.destroy() // every query from here on fails
    const { socket, res } = await join('unlucky')
    expect(res).toMatchObject({ ok: false, error: { code: 'internal', message: expect.stringContaining('device:hello') } })
    expect(registry.all()).toHaveLength(0)
    // The socket stays usable: the failure was this message's, not the connection's.
    expect(socket.connected).toBe(true)
    await handlers.settled()
  })
})
