/**
 * The /devices namespace: contributors' browsers and headless workers.
 * Every inbound message is parsed with the protocol's zod schemas; a socket that sends
 * something malformed is told why (device:error) and dropped, and nothing else is disturbed.
 * A device that leaves (stop, closed tab, lost network) has its leases freed at once.
 * A device holds at most `slots` tasks at once: what its hello asks for (default 1), capped at
 * NIMBLE_DEVICE_MAX_TASKS; the hello's answer says how many it got. Results and failures count
 * only for leases the device holds on this connection.
 */
import crypto from 'node:crypto'
import type { Namespace, Socket } from 'socket.io'
import { z } from 'zod'
import {
  DEVICE_CLIENT_EVENTS,
  DeviceDuty,
  DeviceHello,
  NimbleError,
  PROTOCOL_VERSION,
  Task as TaskSchema,
  TaskFailure,
  TaskProgress,
  TaskResultMeta,
  TaskResultsMeta,
  type DeviceClientToServer,
  type DeviceServerToClient,
  type ErrorCode,
  type ResultOutcome,
} from '../lib/protocol'
import type { Ctx } from './context'
import { taskMemory, type Dispatcher } from './dispatcher'
import { budgetAfterOom } from '../lib/compute/oom'
import type { Leases } from './leases'
import { transition } from './log'
import type { DeviceSession, Registry } from './registry'
import type { Validator } from './validator'
import { networkOf } from '../lib/verify/trust'
import { banOf } from './trust'
import { StatsReader } from './device-stats'
import { taskPayload } from './payloads'
import { failJobOfTask } from './task-attempts'

const KNOWN_EVENTS = new Set<string>(DEVICE_CLIENT_EVENTS)

/** A device hears its verification record (device:stats) at most this often after accepted results. */
const STATS_EVERY_MS = 2000

type DeviceSocket = Socket<DeviceClientToServer, DeviceServerToClient>

export type DeviceSocketDeps = {
  ctx: Ctx
  registry: Registry
  dispatcher: Dispatcher
  leases: Leases
  validator: Validator
  onProgress?: (jobId: string | null, p: z.infer<typeof TaskProgress>) => void
}

function reject(socket: DeviceSocket, code: ErrorCode, message: string): void {
  socket.emit('device:error', { code, message })
  socket.disconnect(true)
}

/** What is wrong with a message, from its schema's first complaint: `path: message`, `what` standing for the whole. */
function firstIssue(error: z.ZodError, what: string): string {
  const issue = error.issues[0]
  return `${issue.path.join('.') || what}: ${issue.message}`
}

function errorOf(e: unknown): { code: ErrorCode; message: string } {
  if (e instanceof NimbleError) return { code: e.code, message: e.message }
  return { code: 'internal', message: 'the coordinator could not process this message' }
}

/** Task slots for a hello: what it asks for, capped at the coordinator's limit, and a notice when capped. */
export function grantSlots(asked: number | undefined, limit: number): { slots: number; notice?: string } {
  const want = asked ?? 1
  if (want <= limit) return { slots: want }
  return { slots: limit, notice: `asked for ${want} task slots; this coordinator allows at most ${limit} tasks in flight per device (NIMBLE_DEVICE_MAX_TASKS)` }
}

/** The refusal of a result for a lease this device does not hold on this connection. */
export function notHeldError(instanceId: number, session: Pick<DeviceSession, 'leases' | 'slots'>, limit: number): NimbleError {
  return new NimbleError({
    code: 'stale_lease',
    message: `lease ${instanceId} is not one of the tasks this device holds (it holds ${session.leases.size} of its ${session.slots} task slot(s); NIMBLE_DEVICE_MAX_TASKS is ${limit}): it lapsed, was cancelled or was never given to this device; drop it and wait for task:assign`,
  })
}

function toBytes(x: unknown): Uint8Array | null {
  if (x instanceof Uint8Array) return x
  if (x instanceof ArrayBuffer) return new Uint8Array(x)
  return null
}

/** A `task:results` message's metadata and attachments, paired; or why it is malformed. */
export function parseResults(rawMetas: unknown, rawWeights: unknown): { metas: TaskResultMeta[]; bytes: Uint8Array[] } | { why: string } {
  const metas = TaskResultsMeta.safeParse(rawMetas)
  if (!metas.success) return { why: firstIssue(metas.error, 'results') }
  const n = metas.data.length
  if (!Array.isArray(rawWeights) || rawWeights.length !== n) return { why: `weights must be an array of ${n} binary attachments, one per result` }
  const bytes: Uint8Array[] = []
  for (const [k, w] of rawWeights.entries()) {
    const b = toBytes(w)
    if (!b) return { why: `weights.${k}: must be a binary attachment` }
    bytes.push(b)
  }
  if (new Set(metas.data.map((m) => m.instanceId)).size !== n) return { why: 'each lease may appear once' }
  return { metas: metas.data, bytes }
}

/**
 * The device ran out of memory on a task: its budget drops below what that task needed, so
 * the scheduler only gives it tasks that fit (the report can only make the device less useful
 * to itself, so it is believed).
 */
async function lowerBudget(ctx: Ctx, session: DeviceSession, instanceId: number): Promise<void> {
  const row = await ctx.db
    .selectFrom('instances')
    .innerJoin('tasks', 'tasks.id', 'instances.task_id')
    .select(['tasks.id', 'tasks.payload_json'])
    .where('instances.id', '=', instanceId)
    .where('instances.device_id', '=', session.id)
    .executeTakeFirst()
  if (!row) return
  const before = session.profile.memoryBudget
  const after = budgetAfterOom(before, taskMemory(taskPayload(ctx.db, row)))
  if (after === before) return
  session.profile = { ...session.profile, memoryBudget: after }
  await ctx.db.updateTable('devices').set({ profile_json: JSON.stringify(session.profile) }).where('id', '=', session.id).execute()
  ctx.log.warn({ device: session.id, before, after }, `device ${session.id} ran out of memory: budget ${before} -> ${after} bytes`)
}

/**
 * Whether the task a device refused is malformed as this coordinator builds it: the protocol's
 * parse of the message it sends for that lease. Then no device can run it, and the fault is the
 * coordinator's. Checked here, not believed: a device's word alone would let it dodge the
 * cool-down every failure earns. Null when the message parses (or the lease is not the device's).
 */
async function malformedTask(ctx: Ctx, dispatcher: Dispatcher, instanceId: number, deviceId: string): Promise<{ taskId: number; why: string } | null> {
  const row = await ctx.db
    .selectFrom('instances')
    .innerJoin('tasks', 'tasks.id', 'instances.task_id')
    .select(['tasks.id', 'tasks.job_id', 'tasks.shard', 'tasks.rows', 'tasks.round', 'tasks.payload_json', 'instances.deadline'])
    .where('instances.id', '=', instanceId)
    .where('instances.device_id', '=', deviceId)
    .where('instances.state', '=', 'leased')
    .executeTakeFirst()
  if (!row) return null
  let message: unknown
  try {
    message = dispatcher.taskMessage(row, taskPayload(ctx.db, row), instanceId, row.deadline)
  } catch (e) {
    return { taskId: row.id, why: e instanceof Error ? e.message : String(e) }
  }
  const parsed = TaskSchema.safeParse(message)
  if (parsed.success) return null
  return { taskId: row.id, why: firstIssue(parsed.error, 'task') }
}

/** Times a few acked pings (median) and keeps the result on the session and the device row. */
function measureRtt(socket: DeviceSocket, session: DeviceSession, ctx: Ctx): void {
  const samples: number[] = []
  const once = (left: number) => {
    if (!socket.connected) return
    const t0 = performance.now()
    socket.timeout(5000).emit('device:ping', Date.now(), (err: Error | null) => {
      if (err) return
      samples.push(performance.now() - t0)
      if (left > 1) return once(left - 1)
      samples.sort((a, b) => a - b)
      session.rttMs = samples[Math.floor(samples.length / 2)]
      void ctx.db
        .updateTable('devices')
        .set({ rtt_ms: session.rttMs, bandwidth: session.bandwidth ?? null })
        .where('id', '=', session.id)
        .execute()
        .catch((e) => ctx.log.warn({ err: e }, 'cannot record rtt'))
    })
  }
  once(3)
}

/**
 * The work the handlers of this namespace have under way. A handler that fails is logged, never
 * left to reject: an unhandled rejection ends the process (the tfjs wasm module rethrows them,
 * exit 7). On shutdown the store must outlive every handler still writing to it: a device
 * disconnected by the shutdown writes its session to the store, and a store destroyed under
 * that write took the coordinator down instead of a clean exit (CI, on PostgreSQL).
 */
class HandlerWork {
  private running = new Set<Promise<void>>()

  constructor(private ctx: Ctx) {}

  /**
   * Runs `fn` for `event`, tracked. A failure is logged with the device it came from, and a
   * message that wants an answer (`ack`) gets an internal error instead of waiting forever.
   */
  run(event: string, device: () => string | null, fn: () => Promise<void>, ack?: unknown): void {
    const p: Promise<void> = fn()
      .catch((e) => {
        this.ctx.log.error({ err: e, event, device: device() }, `${event} failed inside the coordinator`)
        // Socket.IO sends an acknowledgement once: this is a no-op when the handler had answered.
        if (typeof ack === 'function') ack({ ok: false, error: { code: 'internal', message: `the coordinator could not process ${event}; try again` } })
      })
      .finally(() => this.running.delete(p))
    this.running.add(p)
  }

  /** Resolves once no handler is running (those started meanwhile included). */
  async settled(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running])
  }
}

export function attachDeviceNamespace(nsp: Namespace<DeviceClientToServer, DeviceServerToClient>, deps: DeviceSocketDeps): { settled(): Promise<void> } {
  const { ctx, registry, dispatcher, leases, validator } = deps
  const work = new HandlerWork(ctx)
  const statsOf = new StatsReader(ctx)
  nsp.on('connection', (socket: DeviceSocket) => {
    let session: DeviceSession | null = null
    const who = () => session?.id ?? null
    const ip = socket.handshake.address
    socket.onAny((event: string) => {
      if (!KNOWN_EVENTS.has(event)) reject(socket, 'invalid_message', `unknown event ${String(event).slice(0, 60)}`)
    })

    socket.on('device:hello', (raw: unknown, ack: unknown) => work.run('device:hello', who, async () => {
      const reply = typeof ack === 'function' ? (ack as (r: unknown) => void) : () => {}
      const parsed = DeviceHello.safeParse(raw)
      if (!parsed.success) {
        const why = `device:hello: ${firstIssue(parsed.error, 'hello')}`
        reply({ ok: false, error: { code: 'invalid_message', message: why } })
        return reject(socket, 'invalid_message', why)
      }
      const hello = parsed.data
      if (hello.protocolVersion !== PROTOCOL_VERSION) {
        reply({ ok: false, error: { code: 'protocol_mismatch', message: `protocol ${hello.protocolVersion} is not supported; this coordinator speaks ${PROTOCOL_VERSION}: reload the page or update the worker` } })
        return reject(socket, 'protocol_mismatch', 'protocol version mismatch')
      }
      if (session) {
        reply({ ok: true, deviceId: session.id, slots: session.slots })
        return
      }
      const refused = await banOf(ctx, hello.deviceId, hello.address)
      if (refused) {
        ctx.log.warn({ device: hello.deviceId, wallet: hello.address, ip }, `hello refused: ${refused}`)
        reply({ ok: false, error: { code: 'banned', message: `${refused}. Banned devices and wallets get no work and earn nothing.` } })
        return reject(socket, 'banned', refused)
      }
      const id = hello.deviceId ?? `dev_${crypto.randomBytes(9).toString('base64url')}`
      const best = hello.profile.benchmarks.find((b) => b.backend === hello.profile.backend)
      const bench = Math.max(0, best?.gflops ?? 0)
      // The throttle is believed: it can only make the device look slower to the scheduler.
      const duty = hello.profile.duty ?? 1
      const gflops = bench * duty
      const now = ctx.now()
      // A second connection with the same identity replaces the first.
      const previous = registry.get(id)
      if (previous) {
        registry.remove(id, previous)
        for (const instanceId of previous.leases) previous.link.cancel(instanceId, 'replaced by a new connection')
        await leases.releaseDevice(id, previous.leases)
      }
      await ctx.db
        .insertInto('devices')
        .values({ id, name: hello.name, kind: hello.profile.kind, backend: hello.profile.backend, gflops, profile_json: JSON.stringify(hello.profile), first_seen: now, last_seen: now, address: hello.address?.toLowerCase() ?? null, network: networkOf(ip), node_id: ctx.cluster.nodeId })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({ name: hello.name, kind: hello.profile.kind, backend: hello.profile.backend, gflops, profile_json: JSON.stringify(hello.profile), last_seen: now, network: networkOf(ip), node_id: ctx.cluster.nodeId, ...(hello.address ? { address: hello.address.toLowerCase() } : {}) }),
        )
        .execute()
      if (!socket.connected) return
      const granted = grantSlots(hello.slots, ctx.config.NIMBLE_DEVICE_MAX_TASKS)
      const batch = hello.batch === true
      session = {
        id,
        name: hello.name,
        profile: hello.profile,
        gflops,
        bench,
        duty,
        cached: new Set(),
        ...(hello.profile.bandwidth ? { bandwidth: hello.profile.bandwidth } : {}),
        connectedAt: now,
        leases: new Set(),
        slots: granted.slots,
        failures: 0,
        coolUntil: 0,
        link: {
          assign: (tasks) => {
            if (batch && tasks.length > 1) socket.emit('task:batch', tasks)
            else for (const task of tasks) socket.emit('task:assign', task)
          },
          cancel: (instanceId, reason) => socket.emit('task:cancel', { instanceId, reason }),
          stats: (s) => socket.emit('device:stats', s),
        },
      }
      registry.add(session)
      transition(ctx.log, 'device', id, 'offline', 'online', { backend: hello.profile.backend, gflops: gflops.toFixed(2), duty, kind: hello.profile.kind, ip, slots: granted.slots })
      if (granted.notice) ctx.log.info({ device: id, asked: hello.slots, slots: granted.slots }, `device ${id}: ${granted.notice}`)
      reply({ ok: true, deviceId: id, slots: granted.slots, ...(granted.notice ? { notice: granted.notice } : {}) })
      ctx.bus.emit('network:changed')
      void dispatcher.dispatch()
      measureRtt(socket, session, ctx)
    }, ack))

    socket.on('device:duty', (raw: unknown) => work.run('device:duty', who, async () => {
      const d = DeviceDuty.safeParse(raw)
      if (!d.success) return reject(socket, 'invalid_message', `device:duty: ${firstIssue(d.error, 'duty')}`)
      if (!session || d.data.duty === session.duty) return
      const s = session
      const before = s.gflops
      registry.setDuty(s.id, d.data.duty)
      s.profile = { ...s.profile, duty: d.data.duty }
      ctx.log.info({ device: s.id, duty: d.data.duty, gflops: s.gflops.toFixed(2), before: before.toFixed(2) }, `device ${s.id} now computes ${Math.round(d.data.duty * 100)}% of the time`)
      await ctx.db.updateTable('devices').set({ gflops: s.gflops, profile_json: JSON.stringify(s.profile) }).where('id', '=', s.id).execute()
      ctx.bus.emit('network:changed')
    }))

    socket.on('task:progress', (raw: unknown) => {
      const p = TaskProgress.safeParse(raw)
      if (!p.success) return reject(socket, 'invalid_message', 'task:progress: malformed')
      if (!session || !session.leases.has(p.data.instanceId)) return
      deps.onProgress?.(null, p.data)
    })

    /**
     * One result from this device: the lease must be one it holds (its slot is free whatever the
     * verdict), then the validator judges it. Returns the answer for the device's ack, and
     * whether it held the lease (a result for one it does not hold changes nothing).
     */
    const takeResult = async (s: DeviceSession, meta: TaskResultMeta, bytes: Uint8Array): Promise<{ outcome: ResultOutcome; held: boolean }> => {
      if (!s.leases.delete(meta.instanceId)) {
        const err = notHeldError(meta.instanceId, s, ctx.config.NIMBLE_DEVICE_MAX_TASKS)
        ctx.log.warn({ device: s.id, instance: meta.instanceId, held: [...s.leases] }, `task:result from ${s.id} refused: ${err.message}`)
        return { outcome: { ok: false, error: { code: err.code, message: err.message } }, held: false }
      }
      try {
        const accepted = await validator.submit(s.id, meta, bytes)
        registry.outcome(s.id, true)
        registry.observe(s.id, accepted.flops, accepted.observedMs)
        return { outcome: { ok: true }, held: true }
      } catch (e) {
        const err = errorOf(e)
        if (err.code === 'internal') {
          ctx.log.error({ err: e, device: s.id, instance: meta.instanceId }, `task:result from ${s.id} failed inside the coordinator`)
          // Not the device's fault: if the lease is still open, its task goes back to the queue now.
          await leases.abandon(meta.instanceId, s.id).catch((e2) => ctx.log.error({ err: e2, instance: meta.instanceId }, 'cannot free a lease whose result failed inside the coordinator'))
        }
        if (err.code === 'invalid_result') registry.outcome(s.id, false)
        return { outcome: { ok: false, error: err }, held: true }
      }
    }

    /**
     * After results: more work for the slots they freed, and the device's record: at once after
     * a refusal, which may have banned it. Results for leases it did not hold change nothing: no
     * dispatch pass, no read of its record (a hostile device could send them by the thousand).
     */
    const afterResults = async (taken: { outcome: ResultOutcome; held: boolean }[]) => {
      const held = taken.filter((t) => t.held)
      if (held.length === 0) return
      void dispatcher.dispatch()
      // An accepted result only moves counters, pushed at most once a STATS_EVERY_MS (a read and a
      // message; a fast device returns many results a second).
      if (held.some((t) => !t.outcome.ok)) await pushStats()
      else if (!statsTimer) statsTimer = setTimeout(() => work.run('device:stats', who, pushStats), Math.max(0, lastStats + STATS_EVERY_MS - Date.now()))
    }

    socket.on('task:result', (rawMeta: unknown, rawWeights: unknown, ack: unknown) => work.run('task:result', who, async () => {
      const reply = typeof ack === 'function' ? (ack as (r: unknown) => void) : () => {}
      const meta = TaskResultMeta.safeParse(rawMeta)
      const bytes = toBytes(rawWeights)
      if (!meta.success || !bytes) {
        const why = !meta.success ? firstIssue(meta.error, 'result') : 'weights must be a binary attachment'
        reply({ ok: false, error: { code: 'invalid_message', message: `task:result: ${why}` } })
        return reject(socket, 'invalid_message', `task:result: ${why}`)
      }
      if (!session) {
        reply({ ok: false, error: { code: 'bad_request', message: 'say device:hello first' } })
        return
      }
      const taken = await takeResult(session, meta.data, bytes)
      reply(taken.outcome)
      await afterResults([taken])
    }, ack))

    // Several results in one message: each is taken as a task:result would be, in the same turn,
    // so the validator settles them together; one ack answers them all, in order.
    socket.on('task:results', (rawMetas: unknown, rawWeights: unknown, ack: unknown) => work.run('task:results', who, async () => {
      const reply = typeof ack === 'function' ? (ack as (r: unknown) => void) : () => {}
      const parsed = parseResults(rawMetas, rawWeights)
      if ('why' in parsed) {
        reply({ ok: false, error: { code: 'invalid_message', message: `task:results: ${parsed.why}` } })
        return reject(socket, 'invalid_message', `task:results: ${parsed.why}`)
      }
      if (!session) {
        reply({ ok: false, error: { code: 'bad_request', message: 'say device:hello first' } })
        return
      }
      const s = session
      const { metas, bytes } = parsed
      const taken = await Promise.all(metas.map((m, k) => takeResult(s, m, bytes[k])))
      reply({ ok: true, outcomes: taken.map((t) => t.outcome) })
      await afterResults(taken)
    }, ack))

    let statsTimer: NodeJS.Timeout | null = null
    let lastStats = 0
    /** Sends the device its verification record; a banned device is dropped. */
    const pushStats = async () => {
      if (statsTimer) clearTimeout(statsTimer)
      statsTimer = null
      lastStats = Date.now()
      const s = session
      if (!s || !socket.connected) return
      const stats = await statsOf.read(s.id).catch((e) => (ctx.log.warn({ err: e, device: s.id }, 'cannot read device stats'), null))
      if (session !== s) return
      if (stats) s.link.stats(stats)
      if (stats?.trust === 'banned') {
        registry.remove(s.id, s)
        session = null
        await leases.releaseDevice(s.id, s.leases)
        reject(socket, 'banned', 'this device is banned for invalid results; its pending results were discarded')
        ctx.bus.emit('network:changed')
      }
    }

    socket.on('task:failed', (raw: unknown) => work.run('task:failed', who, async () => {
      const f = TaskFailure.safeParse(raw)
      if (!f.success) return reject(socket, 'invalid_message', 'task:failed: malformed')
      if (!session) return
      const s = session
      s.leases.delete(f.data.instanceId)
      ctx.log.warn({ device: s.id, instance: f.data.instanceId, reason: f.data.message.slice(0, 300) }, `device ${s.id} failed instance ${f.data.instanceId}`)
      const fault = f.data.outOfMemory ? null : await malformedTask(ctx, dispatcher, f.data.instanceId, s.id)
      if (f.data.outOfMemory) await lowerBudget(ctx, s, f.data.instanceId)
      // Same path as a lapsed lease: the task goes back to the queue for someone else.
      // Running out of memory is handled by the lower budget, not by a cool-down; a task the
      // coordinator built malformed is not the device's fault.
      else if (!fault) registry.outcome(s.id, false)
      if (fault) {
        // No device can run it: its job fails now, saying why, instead of after every attempt
        // (and the task is not put back in the queue for another device to refuse meanwhile).
        ctx.log.error({ device: s.id, instance: f.data.instanceId, task: fault.taskId, why: fault.why }, `task ${fault.taskId}: the coordinator built a malformed task message`)
        const error = `the coordinator's task message is malformed: ${fault.why}`
        const failed = await failJobOfTask(ctx, fault.taskId, (t) => `task ${fault.taskId} (round ${t.round}, shard ${t.shard}) cannot run: the coordinator built a task message the protocol refuses (${fault.why}); no device can run it`, {
          failed: { instanceId: f.data.instanceId, error },
          logged: { malformed: fault.why },
        })
        if (!failed) await leases.releaseInstance(f.data.instanceId, s.id, error)
      } else await leases.releaseInstance(f.data.instanceId, s.id, f.data.message)
      setTimeout(() => void dispatcher.dispatch(), s.coolUntil - Date.now() + 10).unref()
      void dispatcher.dispatch()
    }))

    socket.on('disconnect', (reason) => work.run('disconnect', who, async () => {
      if (statsTimer) clearTimeout(statsTimer)
      statsTimer = null
      if (!session) return
      const s = session
      session = null
      if (!registry.remove(s.id, s)) return
      transition(ctx.log, 'device', s.id, 'online', 'offline', { reason })
      const now = ctx.now()
      // Offline (no node), unless it has already reconnected to another coordinator.
      await ctx.db
        .updateTable('devices')
        .set((eb) => ({
          last_seen: now,
          sessions: eb('sessions', '+', 1),
          session_ms: eb('session_ms', '+', Math.max(0, now - s.connectedAt)),
          node_id: eb.case().when('node_id', '=', ctx.cluster.nodeId).then(null).else(eb.ref('node_id')).end(),
        }))
        .where('id', '=', s.id)
        .execute()
      await leases.releaseDevice(s.id, s.leases)
      ctx.bus.emit('network:changed')
    }))
  })
  return { settled: () => work.settled() }
}
