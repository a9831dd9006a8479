/**
 * The /devices handlers' own work (in process, real store, real Socket.IO): a shutdown waits
 * for it before the store goes, and a handler that fails answers with an error instead of
 * rejecting unhandled (which ends the process: the tfjs wasm module rethrows such rejections,
 * exit 7). CI once saw the coordinator exit 7 on SIGTERM: the device the shutdown disconnected
 * was still writing its session when the store was destroyed.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { io as connect, type Socket } from 'socket.io-client'
import { PROTOCOL_VERSION, type DeviceClientToServer, type DeviceServerToClient } from '../lib/protocol'
import { startDevices } from './testing/devices'

type Client = Socket<DeviceServerToClient, DeviceClientToServer>
const profile = { kind: 'headless' as const, backend: 'cpu' as const, benchmarks: [{ backend: 'cpu' as const, gflops: 5, size: 256 }], adapter: null, memoryBudget: 1e9 }

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function start() {
  const { db, handlers, registry, url, closeSockets, close } = await startDevices()
  cleanups.push(close)
  const join = async (name: string) => {
    const socket: Client = connect(url, { transports: ['websocket'], reconnection: false })
    cleanups.push(() => void socket.disconnect())
    return { socket, res: await socket.timeout(10_000).emitWithAck('device:hello', { protocolVersion: PROTOCOL_VERSION, name, profile }) }
  }
  return { db, handlers, registry, join, close: closeSockets }
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
