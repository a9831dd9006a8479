/**
 * The /devices namespace over a real Socket.IO connection (in process, real store): the
 * contributor's throttle reaches the scheduler. A hello with `duty` offers that share of the
 * benchmark, `device:duty` changes it mid-session, and a malformed `device:duty` drops the socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { io as connect, type Socket } from 'socket.io-client'
import { PROTOCOL_VERSION, type DeviceClientToServer, type DeviceProfile, type DeviceServerToClient } from '../lib/protocol'
import { slot } from './dispatcher'
import { Registry } from './registry'
import type { Store } from './store/db'
import { deviceSession, startDevices } from './testing/devices'

type Client = Socket<DeviceServerToClient, DeviceClientToServer>

let devices: Awaited<ReturnType<typeof startDevices>>
let db: Store
let registry: Registry
let url = ''
const clients: Client[] = []

beforeAll(async () => {
  devices = await startDevices()
  ;({ db, registry, url } = devices)
})

afterAll(async () => {
  for (const c of clients) c.disconnect()
  await devices.close()
})

const profile = (duty?: number): DeviceProfile => ({
  kind: 'browser',
  backend: 'wasm',
  benchmarks: [{ backend: 'wasm', gflops: 12, size: 256 }],
  adapter: null,
  memoryBudget: 256 * 1024 * 1024,
  ...(duty === undefined ? {} : { duty }),
})

async function join(name: string, duty?: number): Promise<{ socket: Client; id: string }> {
  const socket: Client = connect(url, { transports: ['websocket'], reconnection: false })
  clients.push(socket)
  const res = await socket.timeout(10_000).emitWithAck('device:hello', { protocolVersion: PROTOCOL_VERSION, name, profile: profile(duty) })
  if (!res.ok) throw new Error(res.error.message)
  return { socket, id: res.deviceId }
}

/** Events on one socket are handled in order: an acked hello after `device:duty` returns once the duty is applied. */
async function barrier(socket: Client): Promise<void> {
  await socket.timeout(10_000).emitWithAck('device:hello', { protocolVersion: PROTOCOL_VERSION, name: 'again', profile: profile() })
}

const speed = (id: string) => slot(registry.get(id)!).gflops
const stored = async (id: string) => (await db.selectFrom('devices').select('gflops').where('id', '=', id).executeTakeFirstOrThrow()).gflops

describe('the contributor throttle reaches the scheduler', () => {
  it('a hello without a duty offers the full benchmark', async () => {
    const { id } = await join('full')
    expect(speed(id)).toBe(12)
  })

  it('a hello at 50% offers half the benchmark; device:duty moves it both ways and is stored', async () => {
    const { socket, id } = await join('half', 0.5)
    expect(speed(id)).toBe(6)
    expect(await stored(id)).toBe(6)

    socket.emit('device:duty', { duty: 0.25 })
    await barrier(socket)
    expect(speed(id)).toBe(3)
    await expect.poll(() => stored(id)).toBe(3)

    socket.emit('device:duty', { duty: 1 })
    await barrier(socket)
    expect(speed(id)).toBe(12)
  })

  it('a malformed device:duty is refused and drops the device', async () => {
    const { socket, id } = await join('liar', 0.5)
    const error = new Promise<{ code: string; message: string }>((resolve) => socket.once('device:error', resolve))
    const gone = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()))
    socket.emit('device:duty', { duty: 4 } as never)
    expect(await error).toMatchObject({ code: 'invalid_message', message: expect.stringContaining('device:duty') })
    await gone
    await expect.poll(() => registry.get(id)).toBeUndefined()
  })
})

describe('Registry.setDuty', () => {
  it('scales a measured speed and the recent task time with the duty', () => {
    const r = new Registry()
    r.add(deviceSession('d1', { name: 'd', profile: profile(), gflops: 10, bench: 10 }))
    r.observe('d1', 8e9, 1000) // 8 GFLOP/s seen on a real task
    expect(r.get('d1')!.gflops).toBe(8)
    expect(r.expectedMs('d1', 8e9, 0)).toBe(1000)
    r.setDuty('d1', 0.5)
    expect(r.get('d1')!.gflops).toBe(4)
    expect(r.expectedMs('d1', 8e9, 0)).toBe(2000)
    r.setDuty('d1', 2) // out of range: ignored
    expect(r.get('d1')!.gflops).toBe(4)
  })
})
