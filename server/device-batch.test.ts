/**
 * Several tasks per message, over a real Socket.IO connection (in process, real store, real
 * validator): a device with several slots is filled in one dispatch pass; one that said `batch`
 * in its hello gets them in one `task:batch`, one that did not in a `task:assign` each; and
 * `task:results` returns several results with one ack, an outcome per result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { io as connect, type Socket } from 'socket.io-client'
import { MAX_SLOTS, PROTOCOL_VERSION, type DeviceClientToServer, type DeviceServerToClient, type ResultOutcome, type Task, type TaskResultMeta } from '../lib/protocol'
import type { Ctx } from './context'
import { parseResults } from './device-socket'
import { Dispatcher } from './dispatcher'
import { Leases } from './leases'
import { Registry, type DeviceSession } from './registry'
import type { Store } from './store/db'
import { deviceSession, startDevices } from './testing/devices'
import { seedTinyJobs, TINY_RESULT, tinyTasks } from './testing/tiny-job'

type Client = Socket<DeviceServerToClient, DeviceClientToServer>

let devices: Awaited<ReturnType<typeof startDevices>>
let db: Store
let ctx: Ctx
let url = ''
let registry: Registry
const clients: Client[] = []
let shard = 0

beforeAll(async () => {
  devices = await startDevices({ NIMBLE_DEVICE_MAX_TASKS: '4', NIMBLE_REPLICATION: 'off', NIMBLE_SPOT_CHECK_RATE: '0', NIMBLE_CANARY_RATE: '0', NIMBLE_STRAGGLER_FACTOR: '0' })
  ;({ db, ctx, url, registry } = devices)
  await seedTinyJobs(db, { datasetId: 'ds', jobIds: ['job', 'job2'] })
})

afterAll(async () => {
  for (const c of clients) c.disconnect()
  await devices.close()
})

/** Queues `n` ready tiny tasks (server/testing/tiny-job.ts: what bench:load runs) of a job, and says so (as the planner does). */
async function seed(n: number, jobId = 'job'): Promise<void> {
  await db.insertInto('tasks').values(tinyTasks(jobId, n, shard)).execute()
  shard += n
  ctx.bus.emit('tasks:ready')
}

/** A device that records every task message it gets. */
async function join(name: string, batch: boolean): Promise<{ socket: Client; id: string; messages: { event: 'task:assign' | 'task:batch'; tasks: Task[] }[] }> {
  const socket: Client = connect(url, { transports: ['websocket'], reconnection: false })
  clients.push(socket)
  const messages: { event: 'task:assign' | 'task:batch'; tasks: Task[] }[] = []
  socket.on('task:assign', (t) => messages.push({ event: 'task:assign', tasks: [t] }))
  socket.on('task:batch', (ts) => messages.push({ event: 'task:batch', tasks: ts }))
  const res = await socket.timeout(10_000).emitWithAck('device:hello', {
    protocolVersion: PROTOCOL_VERSION,
    name,
    profile: { kind: 'headless', backend: 'cpu', benchmarks: [{ backend: 'cpu', gflops: 1, size: 256 }], adapter: null, memoryBudget: 1e9 },
    slots: 4,
    ...(batch ? { batch: true } : {}),
  })
  if (!res.ok) throw new Error(res.error.message)
  return { socket, id: res.deviceId, messages }
}

const received = (m: { tasks: Task[] }[]) => m.reduce((n, x) => n + x.tasks.length, 0)
const metaOf = (t: Task): TaskResultMeta => ({ instanceId: t.instanceId, taskId: t.taskId, loss: null, elapsedMs: 1, backend: 'cpu' })
async function results(socket: Client, metas: TaskResultMeta[], weights: Uint8Array[]) {
  return socket.timeout(10_000).emitWithAck('task:results', metas, weights as unknown as ArrayBuffer[])
}
const leasedTo = async (deviceId: string) => (await db.selectFrom('instances').select('id').where('device_id', '=', deviceId).where('state', '=', 'leased').execute()).map((r) => r.id)

let a: Awaited<ReturnType<typeof join>>
let b: Awaited<ReturnType<typeof join>>

describe('several tasks per message', () => {
  it('a device with 4 slots is filled in one pass: in one task:batch when its hello said batch, else a task:assign each', async () => {
    await seed(8)
    a = await join('batcher', true)
    await expect.poll(() => received(a.messages)).toBe(4)
    expect(a.messages.map((m) => m.event)).toEqual(['task:batch'])
    expect(new Set(a.messages[0].tasks.map((t) => t.instanceId))).toEqual(new Set(await leasedTo(a.id)))

    b = await join('single', false)
    await expect.poll(() => received(b.messages)).toBe(4)
    expect(b.messages.map((m) => m.event)).toEqual(['task:assign', 'task:assign', 'task:assign', 'task:assign'])
    expect((await leasedTo(b.id)).length).toBe(4)
  })

  it('task:results takes four results with one ack: each accepted, credited once, its task done', async () => {
    const tasks = a.messages[0].tasks
    const res = await results(a.socket, tasks.map(metaOf), tasks.map(() => TINY_RESULT))
    expect(res).toEqual({ ok: true, outcomes: [{ ok: true }, { ok: true }, { ok: true }, { ok: true }] })
    const ids = tasks.map((t) => t.instanceId)
    const rows = await db.selectFrom('instances').select(['state']).where('id', 'in', ids).execute()
    expect(rows.map((r) => r.state)).toEqual(['valid', 'valid', 'valid', 'valid'])
    const credits = await db.selectFrom('credits').select('instance_id').where('device_id', '=', a.id).execute()
    expect(credits.map((c) => c.instance_id).sort((x, y) => x - y)).toEqual([...ids].sort((x, y) => x - y))
    const done = await db.selectFrom('tasks').select('state').where('id', 'in', tasks.map((t) => t.taskId)).execute()
    expect(done.every((t) => t.state === 'done')).toBe(true)
  })

  it('an outcome per result: a lease the device does not hold is refused, its neighbour in the message accepted', async () => {
    await seed(1)
    await expect.poll(() => received(a.messages)).toBe(5)
    const mine = a.messages.at(-1)!
    expect(mine.event).toBe('task:assign') // one task: no batch needed
    const theirs = b.messages[0].tasks[0]
    const res = await results(a.socket, [metaOf(mine.tasks[0]), metaOf(theirs)], [TINY_RESULT, TINY_RESULT])
    expect(res.ok).toBe(true)
    const outcomes = (res as { outcomes: ResultOutcome[] }).outcomes
    expect(outcomes[0]).toEqual({ ok: true })
    expect(outcomes[1]).toMatchObject({ ok: false, error: { code: 'stale_lease', message: expect.stringContaining(`lease ${theirs.instanceId}`) } })
    // The other device's lease is untouched, and still its own to return.
    expect(await leasedTo(b.id)).toContain(theirs.instanceId)
    expect(registry.get(b.id)!.leases.has(theirs.instanceId)).toBe(true)
    expect(await db.selectFrom('credits').select('instance_id').where('instance_id', '=', theirs.instanceId).execute()).toEqual([])
  })

  it(`task:results takes up to ${MAX_SLOTS} results (Socket.IO's parser allows 10 attachments a packet by default); a packet of more drops its connection`, async () => {
    await seed(4)
    await expect.poll(() => received(a.messages)).toBe(9)
    const mine = a.messages.at(-1)!.tasks
    expect(mine).toHaveLength(4)
    // Its four leases, and leases it does not hold up to a full message: one attachment each.
    const metas = [...mine.map(metaOf), ...Array.from({ length: MAX_SLOTS - 4 }, (_, k) => ({ ...metaOf(mine[0]), instanceId: 1e9 + k }))]
    const res = await results(a.socket, metas, metas.map(() => TINY_RESULT))
    expect(res.ok).toBe(true)
    const outcomes = (res as { outcomes: ResultOutcome[] }).outcomes
    expect(outcomes).toHaveLength(MAX_SLOTS)
    expect(outcomes.slice(0, 4)).toEqual([{ ok: true }, { ok: true }, { ok: true }, { ok: true }])
    expect(outcomes.slice(4).every((o) => !o.ok && o.error.code === 'stale_lease')).toBe(true)
    expect(a.socket.connected).toBe(true)
    const rows = await db.selectFrom('instances').select('state').where('id', 'in', mine.map((t) => t.instanceId)).execute()
    expect(rows.map((r) => r.state)).toEqual(['valid', 'valid', 'valid', 'valid'])
    // One attachment more than any message needs: the parser refuses the packet and closes its connection.
    const hostile: Client = connect(url, { transports: ['websocket'], reconnection: false })
    clients.push(hostile)
    await new Promise<void>((resolve) => hostile.once('connect', () => resolve()))
    const gone = new Promise<string>((resolve) => hostile.once('disconnect', (why) => resolve(why)))
    hostile.emit('task:results', [], Array.from({ length: MAX_SLOTS + 1 }, () => TINY_RESULT) as unknown as ArrayBuffer[], () => {})
    expect(await gone).toBe('transport close')
  })

  it('a malformed task:results (weights not one per result) is refused whole and drops the device; nothing is credited', async () => {
    // The first device leaves, so the new one is the only one with room.
    a.socket.disconnect()
    await expect.poll(() => registry.get(a.id)).toBeUndefined()
    await seed(2, 'job2')
    const c = await join('sloppy', true)
    await expect.poll(() => received(c.messages)).toBe(2)
    const gone = new Promise<void>((resolve) => c.socket.once('disconnect', () => resolve()))
    const res = await results(c.socket, c.messages[0].tasks.map(metaOf), [TINY_RESULT])
    expect(res).toMatchObject({ ok: false, error: { code: 'invalid_message', message: expect.stringContaining('weights must be an array of 2 binary attachments') } })
    await gone
    expect(await db.selectFrom('credits').select('instance_id').where('device_id', '=', c.id).execute()).toEqual([])
    // Its leases go back to the queue when it leaves.
    await expect.poll(async () => (await leasedTo(c.id)).length).toBe(0)
  })
})

describe('a dispatch pass', () => {
  const sent = new Map<string, number[]>()
  /** A connected device as the registry holds it, whose task messages land in `sent`. */
  const device = (id: string, slots = 3): DeviceSession =>
    deviceSession(id, { slots, link: { assign: (tasks) => sent.set(id, [...(sent.get(id) ?? []), ...tasks.map((t) => t.instanceId)]), cancel() {}, stats() {} } })
  const addDevices = async (...ids: string[]) => {
    for (const id of ids) await db.insertInto('devices').values({ id, name: id, kind: 'headless', backend: 'cpu', gflops: 1, profile_json: '{}', first_seen: 0, last_seen: 0, address: null, network: null, node_id: null }).execute()
  }

  it('a device that left while the pass read the store gets nothing, and the pass still ends and fills the others', async () => {
    await db.updateTable('tasks').set({ state: 'cancelled' }).where('state', '=', 'ready').execute()
    await seed(6, 'job2')
    await addDevices('stays-1', 'gone-1')
    // 'gone-1' is among the idle devices the pass starts from, but has left by the time it leases.
    class Leaving extends Registry {
      override get(id: string) {
        return id === 'gone-1' ? undefined : super.get(id)
      }
    }
    const r = new Leaving()
    r.add(device('stays-1'))
    r.add(device('gone-1'))
    const finished = await Promise.race([new Dispatcher(ctx, r).dispatch().then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 5000))])
    expect(finished).toBe(true)
    expect(sent.get('stays-1')?.length).toBe(3)
    expect(sent.has('gone-1')).toBe(false)
    expect(await leasedTo('gone-1')).toEqual([])
    expect((await leasedTo('stays-1')).length).toBe(3)
  })

  it('a lease committed after its device left is freed at once, not left to lapse at its deadline', async () => {
    await db.updateTable('tasks').set({ state: 'cancelled' }).where('state', '=', 'ready').execute()
    await seed(2, 'job2')
    await addDevices('left-1')
    // 'left-1' is connected while the pass assigns, and gone by the time its leases are committed.
    class LeftDuringLease extends Registry {
      override current(s: DeviceSession) {
        return s.id === 'left-1' ? false : super.current(s)
      }
    }
    const r = new LeftDuringLease()
    const left = device('left-1', 2)
    r.add(left)
    const dispatcher = new Dispatcher(ctx, r)
    const leases = new Leases(ctx, r)
    const freed: Promise<number>[] = []
    dispatcher.onOrphaned = (id, ids) => void freed.push(leases.releaseDevice(id, ids))
    await dispatcher.dispatch()
    expect((await Promise.all(freed)).reduce((a, b) => a + b, 0)).toBe(2)
    expect(sent.has('left-1')).toBe(false)
    expect(left.leases.size).toBe(0)
    expect(await leasedTo('left-1')).toEqual([])
    const states = await db.selectFrom('instances').select('state').where('device_id', '=', 'left-1').execute()
    expect(states.map((x) => x.state)).toEqual(['abandoned', 'abandoned'])
  })

  it('a straggler gets a spare copy on an idle device, but not once its first copy was accepted while the spare was being chosen', async () => {
    // Spares on (this file's devices run with them off), for a task overdue by two minutes.
    const stragglers = { ...ctx, config: { ...ctx.config, NIMBLE_STRAGGLER_FACTOR: 2, NIMBLE_STRAGGLER_MIN_MS: 1000 } }
    await addDevices('slow-1', 'slow-2', 'idle-1', 'idle-2')
    const straggling = async (slow: string) => {
      await db.updateTable('tasks').set({ state: 'cancelled' }).where('state', 'in', ['ready', 'leased']).execute()
      await seed(1, 'job2')
      const t = await db.selectFrom('tasks').select('id').where('job_id', '=', 'job2').where('state', '=', 'ready').executeTakeFirstOrThrow()
      await db.updateTable('tasks').set({ state: 'leased' }).where('id', '=', t.id).execute()
      const now = Date.now()
      await db.insertInto('instances').values({ task_id: t.id, job_id: 'job2', device_id: slow, state: 'leased', leased_at: now - 120_000, deadline: now + 60_000, expected_ms: 100, price_per_s: 0, node_id: ctx.cluster.nodeId }).execute()
      return t.id
    }
    // Without a race: the spare goes to the idle device.
    const first = await straggling('slow-1')
    const calm = new Registry()
    calm.add(device('idle-1', 1))
    await new Dispatcher(stragglers, calm).dispatch()
    expect(sent.get('idle-1')?.length).toBe(1)
    expect((await db.selectFrom('instances').select(['task_id', 'spare']).where('device_id', '=', 'idle-1').where('state', '=', 'leased').execute())).toEqual([{ task_id: first, spare: 1 }])

    // The first copy is accepted (task done, as the validator does) after the dispatcher read the
    // running tasks and before it leases the spare: no spare, nothing left leased on the done task.
    const second = await straggling('slow-2')
    let accepted = false
    const accept = async () => {
      accepted = true
      await db.updateTable('tasks').set({ state: 'done' }).where('id', '=', second).execute()
      await db.updateTable('instances').set({ state: 'valid' }).where('task_id', '=', second).where('state', '=', 'leased').execute()
    }
    const racing = new Proxy(db, {
      get(target, k) {
        if (k === 'transaction' && !accepted) {
          const real = target.transaction()
          return () => ({ execute: async <T,>(fn: Parameters<typeof real.execute<T>>[0]) => (await accept(), real.execute(fn)) })
        }
        const v = Reflect.get(target, k, target)
        return typeof v === 'function' ? v.bind(target) : v
      },
    })
    const busy = new Registry()
    busy.add(device('idle-2', 1))
    await new Dispatcher({ ...stragglers, db: racing }, busy).dispatch()
    expect(accepted).toBe(true)
    expect(sent.has('idle-2')).toBe(false)
    expect(await db.selectFrom('instances').select('state').where('task_id', '=', second).where('state', '=', 'leased').execute()).toEqual([])
  })

  it('a task cancelled after the pass read it is not leased, and the pass leases the others it chose', async () => {
    await db.updateTable('tasks').set({ state: 'cancelled' }).where('state', '=', 'ready').execute()
    await seed(4, 'job2')
    await addDevices('claims-1')
    // Its job's owner cancels one of the tasks right after the pass has read them.
    let victim: number | null = null
    const cancelling = new Proxy(db, {
      get(target, k) {
        if (k === 'executeQuery')
          return async (q: { sql: string }) => {
            const r = await target.executeQuery(q as never)
            if (victim === null && /from "tasks" where "state" = (\?|\$\d+) and "job_id" = (\?|\$\d+)/.test(q.sql)) {
              victim = Number((r.rows as { id: number }[])[0].id)
              await db.updateTable('tasks').set({ state: 'cancelled' }).where('id', '=', victim).execute()
            }
            return r
          }
        const v = Reflect.get(target, k, target)
        return typeof v === 'function' ? v.bind(target) : v
      },
    })
    const r = new Registry()
    r.add(device('claims-1', 4))
    await new Dispatcher({ ...ctx, db: cancelling }, r).dispatch()
    expect(victim).not.toBeNull()
    expect(sent.get('claims-1')?.length).toBe(3)
    expect(await db.selectFrom('instances').select('id').where('task_id', '=', victim!).execute()).toEqual([])
    expect((await db.selectFrom('tasks').select('state').where('id', '=', victim!).executeTakeFirstOrThrow()).state).toBe('cancelled')
    expect((await leasedTo('claims-1')).length).toBe(3)
  })

  it('a pass asked for while the last one writes its leases runs meanwhile, on the tasks and slots that one did not take', async () => {
    await db.updateTable('tasks').set({ state: 'cancelled' }).where('state', '=', 'ready').execute()
    await seed(6, 'job2')
    await addDevices('overlap-1', 'overlap-2')
    const r = new Registry()
    r.add(device('overlap-1', 2))
    const d = new Dispatcher(ctx, r)
    // The first pass's lease write waits until a second pass has chosen (the seams are private methods).
    type Choice = { list: { t: { id: number }; device: DeviceSession }[] } | null
    const seam = d as unknown as { choose(): Promise<Choice>; leaseAll(list: unknown[]): Promise<unknown> }
    const choose = seam.choose.bind(d)
    const leaseAll = seam.leaseAll.bind(d)
    const choices: Choice[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let writing!: () => void
    const firstWrite = new Promise<void>((resolve) => (writing = resolve))
    seam.choose = async () => {
      const c = await choose()
      if (choices.push(c) === 2) release()
      return c
    }
    seam.leaseAll = async (list) => {
      if (choices.length === 1) {
        writing()
        await gate
      }
      return leaseAll(list)
    }
    const first = d.dispatch()
    await firstWrite
    // A device joins while the first pass writes: its pass does not wait for that write to end.
    r.add(device('overlap-2', 2))
    void d.dispatch()
    await first
    expect(choices.length).toBeGreaterThanOrEqual(2)
    const [one, two] = choices.map((c) => c!.list)
    expect(one.map((c) => c.device.id)).toEqual(['overlap-1', 'overlap-1'])
    // The second choice left the first one's tasks alone, and overlap-1's slots (taken, not yet held) too.
    expect(two.map((c) => c.device.id)).toEqual(['overlap-2', 'overlap-2'])
    expect(two.filter((c) => one.some((o) => o.t.id === c.t.id))).toEqual([])
    expect(sent.get('overlap-1')?.length).toBe(2)
    expect(sent.get('overlap-2')?.length).toBe(2)
    expect((await leasedTo('overlap-1')).length).toBe(2)
    expect((await leasedTo('overlap-2')).length).toBe(2)
    const leased = await db.selectFrom('instances').select('task_id').where('device_id', 'in', ['overlap-1', 'overlap-2']).execute()
    expect(new Set(leased.map((x) => x.task_id)).size).toBe(4)
  })

  it('a banned device gets nothing, and a task that prefers it goes to another device instead of waiting for it', async () => {
    await db.updateTable('tasks').set({ state: 'cancelled' }).where('state', '=', 'ready').execute()
    await addDevices('banned-1', 'fine-1')
    await db.updateTable('devices').set({ banned_at: Date.now(), ban_reason: 'test' }).where('id', '=', 'banned-1').execute()
    const [plain, preferring] = tinyTasks('job2', 2, shard)
    shard += 2
    await db
      .insertInto('tasks')
      .values([plain, { ...preferring, payload_json: JSON.stringify({ ...JSON.parse(preferring.payload_json as string), prefer: 'banned-1' }) }])
      .execute()
    const r = new Registry()
    r.add(device('banned-1', 2))
    r.add(device('fine-1', 4))
    await new Dispatcher(ctx, r).dispatch()
    expect(sent.has('banned-1')).toBe(false)
    expect(sent.get('fine-1')?.length).toBe(2)
    expect(await leasedTo('banned-1')).toEqual([])
  })

  it('a job near its budget: a device with four free slots gets leases until the expected cost reaches the budget, not four', async () => {
    await db.updateTable('tasks').set({ state: 'cancelled' }).where('state', '=', 'ready').execute()
    await seedTinyJobs(db, { datasetId: 'ds-budget', jobIds: ['budgeted'] })
    await seed(8, 'budgeted')
    await addDevices('probe', 'four-slots')
    // One lease on a device like the one below, to learn what a lease of this job is expected to cost.
    const probe = new Registry()
    probe.add(device('probe', 1))
    await new Dispatcher(ctx, probe).dispatch()
    const [lease] = await db.selectFrom('instances').select(['expected_ms', 'price_per_s']).where('device_id', '=', 'probe').execute()
    const each = (lease.expected_ms! * lease.price_per_s!) / 1000
    expect(each).toBeGreaterThan(0)
    // Running: one lease (each). Budget: 2.5 leases. Two more fit before the expected cost reaches it.
    await db.updateTable('jobs').set({ budget: 2.5 * each }).where('id', '=', 'budgeted').execute()
    const r = new Registry()
    r.add(device('four-slots', 4))
    await new Dispatcher(ctx, r).dispatch()
    expect(sent.get('four-slots')?.length).toBe(2)
    expect((await leasedTo('four-slots')).length).toBe(2)
    expect((await db.selectFrom('jobs').select('status').where('id', '=', 'budgeted').executeTakeFirstOrThrow()).status).toBe('running')
  })
})

describe('parseResults (a task:results message)', () => {
  const meta = (instanceId: number) => ({ instanceId, taskId: 1, loss: null, elapsedMs: 1, backend: 'cpu' })
  it('pairs metadata and attachments by position', () => {
    const r = parseResults([meta(1), meta(2)], [TINY_RESULT, TINY_RESULT.buffer])
    expect('why' in r).toBe(false)
    if (!('why' in r)) expect(r.bytes.map((b) => b.byteLength)).toEqual([TINY_RESULT.byteLength, TINY_RESULT.byteLength])
  })
  it.each([
    ['no results', [], [], /results: .*>=1|too small/i],
    ['more than MAX_SLOTS', Array.from({ length: 65 }, (_, k) => meta(k + 1)), Array.from({ length: 65 }, () => TINY_RESULT), /results: .*<=64|too big/i],
    ['a bad lease id', [meta(-3)], [TINY_RESULT], /^0\.instanceId: /],
    ['weights not a list', [meta(1)], TINY_RESULT, /weights must be an array of 1 binary attachments/],
    ['fewer attachments than results', [meta(1), meta(2)], [TINY_RESULT], /weights must be an array of 2 binary attachments/],
    ['an attachment that is not binary', [meta(1), meta(2)], [TINY_RESULT, 'text'], /weights\.1: must be a binary attachment/],
    ['one lease twice', [meta(7), meta(7)], [TINY_RESULT, TINY_RESULT], /each lease may appear once/],
  ])('refuses %s, saying why', (_name, metas, weights, why) => {
    const r = parseResults(metas, weights)
    expect(r).toEqual({ why: expect.stringMatching(why) })
  })
})
