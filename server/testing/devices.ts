/**
 * The /devices namespace in process, for tests: a real store in a temporary directory, the
 * real dispatcher, leases and validator, and Socket.IO on a free loopback port. No Next.js, no
 * chain, no timers of the coordinator's own (lease expiry, flushes): a test drives what it needs.
 */
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server as IOServer, type Namespace } from 'socket.io'
import { DEVICE_NAMESPACE, type DeviceClientToServer, type DeviceServerToClient } from '../../lib/protocol'
import { BlobStore } from '../blobs'
import { Bus } from '../bus'
import { Cluster } from '../cluster'
import { loadConfig } from '../config'
import type { Ctx } from '../context'
import { attachDeviceNamespace } from '../device-socket'
import { Dispatcher, wireDispatcher } from '../dispatcher'
import { Leases } from '../leases'
import { createLogger } from '../log'
import { Registry, type DeviceSession } from '../registry'
import { socketParser } from '../socket-parser'
import { openOwnStore } from './store'
import { tempDir } from './harness'
import { Validator } from '../validator'

/**
 * Starts it with `env` over the defaults (chain off). `closeSockets()` closes Socket.IO, which
 * disconnects every device, as a coordinator's shutdown does; `close()` does that, then
 * destroys the store and removes the directory.
 */
export async function startDevices(env: Record<string, string> = {}) {
  const dir = tempDir('nimble-devices-')
  const db = await openOwnStore(dir)
  const config = loadConfig({ NIMBLE_DATA_DIR: dir, NIMBLE_CHAIN: 'off', ...env })
  const registry = new Registry()
  const ctx: Ctx = { db, blobs: new BlobStore(config.blobDir), bus: new Bus(), log: createLogger('silent'), config, now: Date.now, cluster: new Cluster(db, Date.now), durable: async () => {} }
  const server = http.createServer()
  const ioServer = new IOServer(server, { serveClient: false, parser: socketParser(config.NIMBLE_MAX_MESSAGE_BYTES) })
  const nsp = ioServer.of(DEVICE_NAMESPACE) as unknown as Namespace<DeviceClientToServer, DeviceServerToClient>
  const dispatcher = new Dispatcher(ctx, registry)
  const leases = new Leases(ctx, registry)
  wireDispatcher(ctx, registry, dispatcher, leases, (_what, work) => void work.catch(() => {}))
  const handlers = attachDeviceNamespace(nsp, { ctx, registry, dispatcher, leases, validator: new Validator(ctx, registry) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${DEVICE_NAMESPACE}`
  let socketsClosed: Promise<void> | null = null
  const closeSockets = () => (socketsClosed ??= new Promise<void>((resolve) => ioServer.close(() => resolve())))
  const close = async () => {
    await closeSockets()
    await handlers.settled()
    await db.destroy().catch(() => {})
    fs.rmSync(dir, { recursive: true, force: true })
  }
  return { dir, db, ctx, registry, handlers, url, closeSockets, close }
}

/**
 * A connected device as the registry holds it, without a socket: a headless cpu device of 1
 * GFLOP/s with 1 GB to offer, one slot, holding nothing, whose messages go nowhere; `over`
 * changes any of that (its `link`, to record what it is sent).
 */
export function deviceSession(id: string, over: Partial<DeviceSession> = {}): DeviceSession {
  return {
    id,
    name: id,
    profile: { kind: 'headless', backend: 'cpu', benchmarks: [{ backend: 'cpu', gflops: 1, size: 256 }], adapter: null, memoryBudget: 1e9 },
    gflops: 1,
    bench: 1,
    duty: 1,
    connectedAt: 0,
    leases: new Set(),
    slots: 1,
    failures: 0,
    coolUntil: 0,
    cached: new Set(),
    link: { assign() {}, cancel() {}, stats() {} },
    ...over,
  }
}
