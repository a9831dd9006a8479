/**
 * Dispatcher: ready tasks -> idle devices.
 *
 * Reads:  tasks (state ready) with their job's priority, deadline and budget; the leases
 *         running per job (fair share); the registry of connected devices.
 * Writes: tasks ready=>leased (attempts+1), a new `instances` row (the lease) per assignment
 *         with what the scheduler expected (time, price, why this device).
 * Sends:  task:assign (or task:batch, several at once) to the chosen devices.
 * The choice of device is lib/scheduler's `assign` (pure: fit, deadlines, least cost, fair
 * share); this module only gathers its inputs and makes its answer durable.
 * A device holds up to its `slots` leases (NIMBLE_DEVICE_MAX_TASKS caps them). `assign` gives
 * each device at most one task a call, so a pass calls it again for the devices with room left
 * and the tasks left over; a device's tasks of one pass go in one message when it takes batches
 * (its hello's `batch`).
 */
import { sql } from 'kysely'
import { assign, type Explanation } from '../lib/scheduler/assign'
import type { DeviceSlot, TaskNeed } from '../lib/scheduler/match'
import { spares } from '../lib/scheduler/straggler'
import { classify } from '../lib/scheduler/pricing'
import { taskMessage, type ModelSpec, type Task } from '../lib/protocol'
import { trainMemoryBytes } from '../lib/model/shapes'
import { requiredBackends } from '../lib/model/backends'
import { transition } from './log'
import { assignments as assignedTotal, dispatchDecision, dispatchPass, leasesHeld } from './metrics'
import { bannedAmong, replicaAvoid } from './replicas'
import type { Ctx } from './context'
import { hasRoom, type DeviceSession, type Registry } from './registry'
import { atomically } from './store/atomic'
import { inChunks, inChunksAtOnce } from './store/chunks'
import { passProfiler } from './pass-profile'
import { prepared, preparedIn, preparedRows } from './store/prepared'
import { payloadsOfTasks, taskPayload } from './payloads'

export type Payload = {
  kind: string
  model?: ModelSpec
  memoryBytes?: number
  hyper?: { batchSize: number }
  shapes?: { shape: number[] }[]
  prefer?: string
  weights?: { hash: string; bytes: number }
  data?: { hash: string; bytes: number }
  input?: { hash: string; bytes: number }
  stage?: number
  microBatch?: number
}

/** A job with ready tasks, as the scheduler weighs its tasks. */
type ReadyJob = {
  id: string
  priority: number
  deadline: number | null
  budget: number | null
  round: number
  total_rounds: number
}

type ReadyRow = {
  id: number
  flops: number
  attempts: number
  job_id: string
  round: number
  shard: number
  rows: number
  created_at: number
  /** Its job (one object for all of the job's rows). */
  job: ReadyJob
}

// The statements of every pass, built once (store/prepared.ts).
/** Jobs with ready tasks. */
const readyJobs = prepared<ReadyJob>((_$, db) =>
  db
    .selectFrom('jobs')
    .select(['id', 'priority', 'deadline', 'budget', 'round', 'total_rounds'])
    .where('id', 'in', (eb) => eb.selectFrom('tasks').select('job_id').distinct().where('state', '=', 'ready')),
)
/**
 * (job, n): the job's n oldest ready tasks, through the (state, job_id, id) index (a window
 * function over every ready row cost tens of ms per pass with a few thousand queued). Without
 * the job's columns: joined row by row they made the read about twice as long (1.8 against
 * 3.3 µs a row, 8,000 rows).
 */
const readyOfJob = prepared<Omit<ReadyRow, 'job'>>(($, db) =>
  db.selectFrom('tasks').select(['id', 'flops', 'attempts', 'job_id', 'round', 'shard', 'rows', 'created_at']).where('state', '=', 'ready').where('job_id', '=', $(0)).orderBy('id').limit($(1)),
)
/** Leases running per job, and what they will cost at their expected time. */
const runningByJob = prepared<{ job_id: string; n: number; pending: number | null }>((_$, db) =>
  db
    .selectFrom('instances')
    .select(['job_id', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.sum<number>(sql`coalesce(expected_ms * price_per_s / 1000, 0)`).as('pending')])
    .where('state', '=', 'leased')
    .groupBy('job_id'),
)
/** (tasks, then now): the claim, on one coordinator. */
const claim = preparedIn<{ id: number }>((ids, db, arg) =>
  db
    .updateTable('tasks')
    .set((eb) => ({ state: 'leased', attempts: eb('attempts', '+', 1), updated_at: arg(0) }))
    .where('id', 'in', ids)
    .where('state', '=', 'ready')
    .returning('id'),
)
/**
 * (tasks, then now): the claim among several coordinators. Of several offering the same task,
 * one changes the row; on PostgreSQL a row another coordinator is claiming right now is skipped
 * (SKIP LOCKED) instead of waited for: it is theirs.
 */
const claimShared = preparedIn<{ id: number }>(
  (ids, _db, arg) => sql`UPDATE tasks SET state = 'leased', attempts = attempts + 1, updated_at = ${arg(0)}
    WHERE id IN (SELECT id FROM tasks WHERE id IN (${sql.join(ids)}) AND state = 'ready' FOR UPDATE SKIP LOCKED) RETURNING id`,
)
/** Rows (task, job, device, leased at, deadline, expected ms, price per s, explanation, node): the leases. */
const newLeases = preparedRows<{ id: number; task_id: number }>(9, (rows, db) =>
  db
    .insertInto('instances')
    .values(rows.map(([task_id, job_id, device_id, leased_at, deadline, expected_ms, price_per_s, explain_json, node_id]) => ({ task_id, job_id, device_id, state: 'leased' as const, leased_at, deadline, expected_ms, price_per_s, explain_json, node_id })))
    .returning(['id', 'task_id']),
)

/** A task the scheduler placed on a device, to be leased: its expected time and the explanation stored with the lease. */
type Claim = { t: ReadyRow; device: DeviceSession; expectedMs: number; explainJson: string | null }

/** Rough memory a task needs: weights (and for training gradients and optimizer state) plus a batch of activations. */
export function taskMemory(payload: Payload): number {
  if (payload.memoryBytes !== undefined) return payload.memoryBytes
  if (payload.model && payload.model.template !== 'custom') {
    try {
      return trainMemoryBytes(payload.model, payload.hyper?.batchSize ?? 256)
    } catch {}
  }
  const params = (payload.shapes ?? []).reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1), 0)
  return 4 * 4 * params
}

/** The blobs a task makes its device fetch (weights, data shard, stage input). */
export function taskBlobs(payload: Payload): { hash: string; bytes: number }[] {
  return [payload.weights, payload.data, payload.input].filter((b): b is { hash: string; bytes: number } => !!b && typeof b.hash === 'string').map((b) => ({ hash: b.hash, bytes: b.bytes }))
}

/** Tokens per device-second for this device's price class. */
export function devicePrice(ctx: Ctx, d: Pick<DeviceSession, 'profile' | 'gflops'>): number {
  return ctx.config.prices.perSecond[classify(d.profile.backend, d.gflops)]
}

/**
 * A training round should end by its share of the time left before the job's deadline;
 * other tasks by the deadline itself.
 */
export function taskDeadline(job: Pick<ReadyJob, 'deadline' | 'round' | 'total_rounds'>, kind: string, now: number): number | undefined {
  if (job.deadline === null) return undefined
  const left = Math.max(0, job.deadline - now)
  if (kind !== 'train') return now + left
  return now + left / Math.max(1, job.total_rounds - job.round)
}

/**
 * A ready task's message for a lease, unsigned (the coordinator signs its blob URLs). Stage
 * tasks take their stage and micro-batch from the payload; other kinds have none.
 */
export function leasedMessage(t: Pick<ReadyRow, 'id' | 'job_id' | 'shard' | 'rows' | 'round'>, payload: Payload, instanceId: number, deadline: number): Task {
  return taskMessage(payload, { instanceId, taskId: t.id, jobId: t.job_id, shard: t.shard, rows: t.rows, deadline, round: t.round, stage: payload.stage ?? t.round, microBatch: payload.microBatch ?? t.shard })
}

/** A connected device as the scheduler sees it. */
export function slot(d: DeviceSession): DeviceSlot {
  return { id: d.id, gflops: d.gflops, memoryBudget: d.profile.memoryBudget, backend: d.profile.backend, cached: d.cached, ...(d.bandwidth ? { bandwidth: d.bandwidth } : {}) }
}

/** The explanation as stored with the lease (and shown on the job page). */
function compact(e: Explanation, names: Map<string, string>) {
  return {
    reason: e.reason,
    expectedMs: Math.round(e.expectedMs * 10) / 10,
    cost: e.cost,
    late: e.late,
    ...(e.runnerUp ? { runnerUp: { device: names.get(e.runnerUp.deviceId) ?? e.runnerUp.deviceId, expectedMs: Math.round(e.runnerUp.expectedMs * 10) / 10, cost: e.runnerUp.cost } } : {}),
    rejected: e.rejected.map((r) => ({ device: names.get(r.deviceId) ?? r.deviceId, why: r.why })),
  }
}

const passProfile = process.env.NIMBLE_PASS_PROFILE ? passProfiler() : null

/**
 * What the dispatcher acts on, as the coordinator wires it (the device test harness too, so its
 * tests see the same): a lease committed for a device that had left is freed (`background`
 * tracks that work), cancelled leases are dropped on their devices (whose slots then take new
 * work), and new tasks start a pass.
 */
export function wireDispatcher(
  ctx: Ctx,
  registry: Registry,
  dispatcher: Dispatcher,
  leases: { releaseDevice(deviceId: string, ids: Iterable<number>): Promise<number> },
  background: (what: string, work: Promise<unknown>) => void,
): void {
  dispatcher.onOrphaned = (deviceId, ids) => background(`freeing the leases of device ${deviceId}, which left`, leases.releaseDevice(deviceId, ids))
  ctx.bus.on('leases:cancelled', (held, reason) => {
    if (registry.cancel(held, reason)) void dispatcher.dispatch()
  })
  ctx.bus.on('tasks:ready', () => void dispatcher.dispatch())
}

/**
 * What a pass chose, kept from the end of its choice until a pass begins after its leases were
 * written (that pass's reads see them). The next pass may read while these leases are being
 * written (see Dispatcher.dispatch), so it must not offer these tasks again nor fill these
 * devices' slots twice, and it counts these leases in its jobs' running leases and costs. They
 * are counted twice at worst (its read came after the commit), which only makes a budget or a
 * quota stricter for that pass.
 */
type Claims = {
  tasks: Set<number>
  /** Slots taken on each device, until its leases are held (then they are in `leases`). */
  devices: Map<DeviceSession, number>
  /** Leases and expected cost per job. */
  jobs: Map<string, { n: number; cost: number }>
  /** Its leases are written (or the write failed): a pass that starts reading now sees them. */
  written: boolean
}

/** A pass's choice, ready to be leased, held and sent. */
type Chosen = {
  list: (Claim & { why: string | undefined })[]
  payloads: Map<number, Payload>
  claims: Claims
  moreReady: boolean
  idle: number
  read: number
  lap: ((phase: string) => void) | undefined
  startedAt: number
}

export class Dispatcher {
  private running = false
  private again = false
  /** Wakes a dispatch loop that waits for a pass's writes: a new pass was asked for meanwhile. */
  private wake: (() => void) | null = null
  /** Choices whose leases are being written, or were while a later pass was reading (see Claims). */
  private claims: Claims[] = []
  /** Decision times of recent passes (ms), for the metrics. */
  readonly decisionMs: number[] = []
  /** Set by the coordinator: puts lease-scoped tokens in the task's blob URLs. */
  signTask: ((task: Task) => Task) | null = null
  /** Set by the coordinator: frees leases committed for a device that had left meanwhile (see hold). */
  onOrphaned: ((deviceId: string, instanceIds: number[]) => void) | null = null
  /** Draining for shutdown: no new leases. */
  paused = false

  constructor(
    private ctx: Ctx,
    private registry: Registry,
  ) {}

  /**
   * Assigns as much as it can. Re-entrant calls coalesce into one more pass.
   *
   * A pass reads the ready tasks and chooses (CPU here, round trips to the store), then writes
   * its leases and sends them (round trips again). The next pass may begin while the last one
   * writes: devices freed meanwhile wait for one choice, not for a whole pass (the wait for the
   * next pass was about half of what a device saw between sending a result and receiving new
   * work under bench:load). One pass writes at a time; see Claims for what the overlap keeps.
   */
  async dispatch(): Promise<void> {
    if (this.paused) return
    if (this.running) {
      this.again = true
      this.wake?.()
      return
    }
    this.running = true
    let writing: Promise<number> | null = null
    try {
      // Results and hellos that arrived in this turn of the event loop land first: one pass
      // then serves every device they freed (one pass per device cost ~8 queries each).
      await new Promise((r) => setImmediate(r))
      do {
        this.again = false
        const chosen = await this.choose()
        // One pass writes at a time: this choice overlapped the last pass's writes.
        const last = writing
        writing = null
        if (last && (await last) > 0) this.again = true
        writing = chosen ? this.write(chosen) : null
        // Devices still idle may run spare copies of overdue tasks.
        await this.spares()
        if (writing && !this.again) {
          // Nothing new yet: wait for this pass's writes, or for a pass asked for meanwhile (which overlaps them).
          const more = await Promise.race([writing, new Promise<null>((r) => (this.wake = () => r(null)))])
          this.wake = null
          if (more !== null) {
            writing = null
            if (more > 0) this.again = true
          }
        }
        // On SQLite every query resolves as a microtask: without a turn of the event loop between
        // passes, back-to-back passes would starve sockets (new devices timed out joining).
        if (this.again) await new Promise((r) => setImmediate(r))
      } while (this.again)
    } catch (e) {
      this.ctx.log.error({ err: e }, 'dispatch failed')
    } finally {
      this.wake = null
      // A pass still writing finishes before another loop may start (one pass writes at a time).
      if (writing) await writing
      this.running = false
    }
  }

  /** Slots of this device taken by choices not yet held. */
  private claimed(d: DeviceSession): number {
    let n = 0
    for (const c of this.claims) n += c.devices.get(d) ?? 0
    return n
  }

  /**
   * Chooses tasks for idle devices' free slots from the ready tasks it reads (null when it
   * chose none). Its claims are taken at once (see Claims); `write` makes them leases.
   */
  private async choose(): Promise<Chosen | null> {
    const startedAt = performance.now()
    // Choices already written are in what this pass reads (a read sees what was committed before it).
    this.claims = this.claims.filter((c) => !c.written)
    const now = this.ctx.now()
    // Free slots per idle device (those a choice not yet held has taken are not free), as this pass fills them.
    const room = new Map<DeviceSession, number>()
    for (const d of this.registry.idle(now)) {
      const n = d.slots - d.leases.size - this.claimed(d)
      if (n > 0) room.set(d, n)
    }
    if (room.size === 0) return null
    const idle = [...room.keys()]
    const { db } = this.ctx
    const lap = passProfile?.start()
    const byId = new Map(idle.map((d) => [d.id, d]))
    const free = idle.reduce((n, d) => n + room.get(d)!, 0)
    // Fair share starts here: at most a few ready tasks per job are looked at, so a job with
    // thousands of queued tasks cannot hide the others from the scheduler. Enough to fill every
    // free slot, and a quarter more (at least 64) so that devices the first tasks do not fit
    // (memory, backend, a device the task failed on) can be given later ones. It read twice the
    // free slots before: every row read is decoded, offered to the scheduler round after round,
    // and read again by the next pass when it is not leased.
    const perJob = Math.max(4, free + Math.max(64, Math.ceil(free / 4)))
    // Per job, its oldest ready tasks through the (state, job_id, id) index: a window function
    // over every ready row cost tens of ms per pass with a few thousand queued (bench:load).
    const jobs = await readyJobs.rows(db)
    // Without payloads: those come below, only for the tasks not parsed already.
    const perJobRows = await Promise.all(
      jobs.map(async (job) => {
        const rows = (await readyOfJob.rows(db, job.id, perJob)) as ReadyRow[]
        for (const r of rows) r.job = job
        return rows
      }),
    )
    const readCap = Math.max(64, idle.length * 16, free * 4)
    const ready: ReadyRow[] = perJobRows
      .flat()
      .sort((x, y) => x.id - y.id)
      .slice(0, readCap)
    // Not every ready task was read: devices left with room may find work in another pass.
    const moreReady = perJobRows.some((r) => r.length === perJob) || ready.length === readCap
    if (ready.length === 0) return null
    // Only a task leased before has instances: devices it failed on, copies it has. A task never
    // leased (attempts 0, nearly all of them under load) needs neither query.
    const leasedBefore = ready.filter((t) => t.attempts > 0).map((t) => t.id)
    // Banned devices get nothing at all, and the scheduler does not count them in the fleet
    // (a task preferring one, or avoiding every other device, would wait for it forever).
    const bannedRead = bannedAmong(this.ctx, this.registry.all())
    const [banned, failedOn, leased, spent, replicas, payloads] = await Promise.all([
      bannedRead,
      leasedBefore.length ? db.selectFrom('instances').select(['task_id', 'device_id']).where('task_id', 'in', leasedBefore).where('state', 'in', ['failed', 'invalid', 'expired']).execute() : [],
      runningByJob.rows(db),
      this.spentByJob(jobs.filter((j) => j.budget !== null).map((j) => j.id)),
      // Copies of one task never go to the same device or wallet twice (verification).
      bannedRead.then((b) => replicaAvoid(this.ctx, leasedBefore, idle, b)),
      // Parsed once (server/payloads.ts): a pass reads more ready tasks than it leases, and the rest come back in the next pass.
      payloadsOfTasks<Payload>(db, ready.map((t) => t.id)),
    ])
    const running: Record<string, number> = Object.fromEntries(leased.map((l) => [l.job_id, Number(l.n)]))
    const pending = new Map(leased.map((l) => [l.job_id, Number(l.pending ?? 0)]))
    // Leases of choices still being written (or just written) count as running too.
    for (const c of this.claims)
      for (const [jobId, j] of c.jobs) {
        running[jobId] = (running[jobId] ?? 0) + j.n
        pending.set(jobId, (pending.get(jobId) ?? 0) + j.cost)
      }
    // A job at its budget gets no new lease; what is running may finish.
    const overBudget = new Set(jobs.filter((j) => j.budget !== null && (spent.get(j.id) ?? 0) + (pending.get(j.id) ?? 0) >= j.budget).map((j) => j.id))
    for (const jobId of overBudget) if (!pending.has(jobId)) await this.failOverBudget(jobId, spent.get(jobId) ?? 0)
    const avoid = new Map<number, string[]>()
    for (const f of failedOn) avoid.set(f.task_id, [...(avoid.get(f.task_id) ?? []), f.device_id])
    for (const [taskId, devices] of replicas) avoid.set(taskId, [...(avoid.get(taskId) ?? []), ...devices])
    lap?.('queries')
    const tasks: TaskNeed[] = ready
      .filter((t) => !overBudget.has(t.job_id) && payloads.has(t.id) && !this.claims.some((c) => c.tasks.has(t.id)))
      .map((t) => {
        const p = payloads.get(t.id)!
        return {
          id: t.id,
          flops: t.flops,
          memoryBytes: taskMemory(p),
          blobs: taskBlobs(p),
          avoid: avoid.get(t.id),
          backends: p.model ? requiredBackends(p.model, p.kind as 'train') : undefined,
          prefer: p.prefer,
          deadline: taskDeadline(t.job, p.kind, now),
          priority: t.job.priority,
          jobId: t.job_id,
          createdAt: t.created_at,
        }
      })
    if (tasks.length === 0) return null
    lap?.('needs')
    // `assign` gives each device at most one task a call: a device with several free slots is
    // offered the tasks left over, round after round, until it is full or nothing more fits.
    // Each round counts the leases of the rounds before it (fair share, quotas).
    const names = new Map(this.registry.all().map((d) => [d.id, d.name]))
    const fleet = this.registry.all().filter((d) => d.coolUntil <= now && !banned.has(d.id)).map((d) => d.id)
    const quota = this.ctx.config.NIMBLE_JOB_LEASE_QUOTA
    const quotas = quota > 0 ? { jobs: Object.fromEntries(tasks.map((t) => [String(t.jobId), quota])) } : undefined
    const readyById = new Map(ready.map((r) => [r.id, r]))
    const chosen: (Claim & { why: string | undefined })[] = []
    let open = tasks
    // What each budgeted job has cost and is expected to cost, this pass's leases included: a
    // lease that takes it to its budget is its last (checked per lease, not once per pass, so a
    // device with several slots cannot take a job past its budget by a pass's worth).
    const committed = new Map<string, number>()
    for (const j of jobs) if (j.budget !== null && !overBudget.has(j.id)) committed.set(j.id, (spent.get(j.id) ?? 0) + (pending.get(j.id) ?? 0))
    const atBudget = new Set<string>()
    // Each device as the scheduler sees it, built once for the pass's rounds.
    const slots = new Map(idle.map((d) => [d, slot(d)]))
    let devices = banned.size ? idle.filter((d) => !banned.has(d.id)) : idle
    while (devices.length > 0 && open.length > 0) {
      const t0 = performance.now()
      // Devices that could take a task later; one cooling down after failures is not waited for.
      const result = assign(open, devices.map((d) => slots.get(d)!), { now, prices: this.ctx.config.prices, fleet, running, ...(quotas ? { quotas } : {}) })
      this.decisionMs.push(performance.now() - t0)
      dispatchDecision.observe((performance.now() - t0) / 1000)
      if (this.decisionMs.length > 1000) this.decisionMs.splice(0, this.decisionMs.length - 1000)
      if (result.assignments.length === 0) break
      const taken = new Set<number>()
      for (const a of result.assignments) {
        const device = byId.get(a.deviceId)!
        // Gone (or replaced by a new connection) while the pass read the store: no more rounds for it.
        if (this.registry.get(a.deviceId) !== device) {
          room.set(device, 0)
          continue
        }
        const t = readyById.get(a.taskId)!
        taken.add(a.taskId)
        if (atBudget.has(t.job_id)) continue
        const expectedMs = this.registry.expectedMs(device.id, t.flops, a.expectedMs)
        const cost = committed.get(t.job_id)
        if (cost !== undefined) {
          committed.set(t.job_id, cost + (expectedMs * devicePrice(this.ctx, device)) / 1000)
          if (committed.get(t.job_id)! >= t.job.budget!) atBudget.add(t.job_id)
        }
        const e = result.explain(a.taskId)
        chosen.push({ t, device, expectedMs, explainJson: e ? JSON.stringify(compact(e, names)) : null, why: e?.reason })
        room.set(device, room.get(device)! - 1)
        running[t.job_id] = (running[t.job_id] ?? 0) + 1
      }
      open = open.filter((t) => !taken.has(t.id) && !atBudget.has(String(t.jobId)))
      devices = devices.filter((d) => room.get(d)! > 0)
    }
    lap?.('assign')
    if (chosen.length === 0) {
      passProfile?.done(idle.length, ready.length, 0)
      return null
    }
    const claims: Claims = { tasks: new Set(), devices: new Map(), jobs: new Map(), written: false }
    for (const { t, device, expectedMs } of chosen) {
      claims.tasks.add(t.id)
      claims.devices.set(device, (claims.devices.get(device) ?? 0) + 1)
      const j = claims.jobs.get(t.job_id) ?? { n: 0, cost: 0 }
      j.n++
      j.cost += (expectedMs * devicePrice(this.ctx, device)) / 1000
      claims.jobs.set(t.job_id, j)
    }
    this.claims.push(claims)
    return { list: chosen, payloads, claims, moreReady, idle: idle.length, read: ready.length, lap, startedAt }
  }

  /**
   * Leases a choice, holds the leases on their devices and sends them. Returns how many devices
   * were given tasks and still have room, when not every ready task was read (else another
   * pass would find nothing new for them). Never rejects: a failed write is logged, and its
   * tasks stay ready for the next pass.
   */
  private async write(c: Chosen): Promise<number> {
    const { list: chosen, payloads, lap } = c
    try {
      lap?.('wait')
      // One unit for the pass: its leases commit together (one commit, not one per task).
      const leases = await this.leaseAll(chosen)
      lap?.('lease')
      // One message per device: its tasks of this pass go together when it takes batches.
      const sends = new Map<DeviceSession, Task[]>()
      for (const [k, { t, device, why }] of chosen.entries()) {
        const lease = leases[k]
        if (lease === null) continue
        if (!this.hold(device, lease.instanceId)) continue
        assignedTotal.inc()
        transition(this.ctx.log, 'task', t.id, 'ready', 'leased', { device: device.id, instance: lease.instanceId, job: t.job_id, round: t.round, why })
        this.registry.holds(device.id, taskBlobs(payloads.get(t.id)!).map((b) => b.hash))
        const list = sends.get(device) ?? []
        if (list.push(this.taskMessage(t, payloads.get(t.id)!, lease.instanceId, lease.deadline)) === 1) sends.set(device, list)
      }
      for (const [device, list] of sends) device.link.assign(list)
      this.ctx.bus.emit('network:changed')
      lap?.('send')
      passProfile?.done(c.idle, c.read, chosen.length)
      dispatchPass.observe((performance.now() - c.startedAt) / 1000)
      return c.moreReady ? [...sends.keys()].filter(hasRoom).length : 0
    } catch (e) {
      this.ctx.log.error({ err: e }, 'dispatch failed: writing a pass\'s leases')
      return 0
    } finally {
      c.claims.devices.clear()
      c.claims.written = true
    }
  }

  /**
   * Stragglers (lib/scheduler/straggler.ts): a task running NIMBLE_STRAGGLER_FACTOR times its
   * expected time, and at least NIMBLE_STRAGGLER_MIN_MS, gets one spare copy on an idle device
   * expected to finish it before the first copy would. The task stays leased; the first
   * accepted result wins and the other copy is cancelled. Only a device holding nothing runs a
   * spare: one busy with other tasks would not finish it sooner.
   */
  private async spares(): Promise<void> {
    const { config } = this.ctx
    if (config.NIMBLE_STRAGGLER_FACTOR <= 0) return
    const now = this.ctx.now()
    const idle = this.registry.idle(now).filter((d) => d.leases.size === 0 && this.claimed(d) === 0)
    if (idle.length === 0) return
    const running = await this.ctx.db
      .selectFrom('instances as i')
      .innerJoin('tasks as t', 't.id', 'i.task_id')
      .select(['i.id as instance_id', 'i.task_id', 'i.device_id', 'i.leased_at', 'i.expected_ms', 'i.spare', 't.payload_json', 't.flops', 't.job_id', 't.round', 't.shard', 't.rows'])
      .where('i.state', '=', 'leased')
      .where('t.state', '=', 'leased')
      .execute()
    if (running.length === 0) return
    const copies = new Map<number, number>()
    for (const r of running) copies.set(r.task_id, (copies.get(r.task_id) ?? 0) + (r.spare ? 2 : 1))
    const byTask = new Map(running.map((r) => [r.task_id, r]))
    const payloadOf = (r: (typeof running)[number]) => taskPayload<Payload>(this.ctx.db, { id: r.task_id, payload_json: r.payload_json })
    const chosen = spares(
      running
        .filter((r) => r.expected_ms !== null && r.spare === 0)
        .map((r) => ({ taskId: r.task_id, deviceId: r.device_id, startedAt: r.leased_at, expectedMs: r.expected_ms!, hasSpare: copies.get(r.task_id)! > 1 })),
      idle.map(slot),
      (taskId) => {
        const r = byTask.get(taskId)
        if (!r) return undefined
        const p = payloadOf(r)
        // No preferred device: the spare exists precisely to run it somewhere else.
        return { id: taskId, flops: r.flops, memoryBytes: taskMemory(p), blobs: taskBlobs(p), backends: p.model ? requiredBackends(p.model, p.kind as 'train') : undefined }
      },
      { now, factor: config.NIMBLE_STRAGGLER_FACTOR, minMs: config.NIMBLE_STRAGGLER_MIN_MS, fleet: this.registry.all().map((d) => d.id), prices: config.prices },
    )
    for (const sp of chosen) {
      const r = byTask.get(sp.taskId)!
      const device = this.registry.get(sp.deviceId)
      if (!device || device.leases.size > 0) continue
      const expected = this.registry.expectedMs(device.id, r.flops, sp.expectedMs)
      const deadline = now + config.NIMBLE_LEASE_MS
      const straggler = this.registry.get(r.device_id)?.name ?? r.device_id
      // Only while the task is still running: its first copy may have been accepted (and its
      // copies cancelled) since `running` was read, and a spare leased after that was left
      // leased on a done task, which nothing would cancel. The update counts the spare on the
      // task and locks its row on PostgreSQL, so an acceptance either comes first (no spare)
      // or waits for the spare, sees the count and then cancels it with the other copies.
      const ins = await this.ctx.db.transaction().execute(async (trx) => {
        const still = await trx
          .updateTable('tasks')
          .set((eb) => ({ spares: eb('spares', '+', 1) }))
          .where('id', '=', r.task_id)
          .where('state', '=', 'leased')
          .returning('id')
          .executeTakeFirst()
        if (!still) return null
        return trx
          .insertInto('instances')
          .values({
            task_id: r.task_id,
            job_id: r.job_id,
            device_id: device.id,
            state: 'leased',
            leased_at: now,
            deadline,
            expected_ms: expected,
            price_per_s: devicePrice(this.ctx, device),
            spare: 1,
            node_id: this.ctx.cluster.nodeId,
            explain_json: JSON.stringify({ reason: 'spare', expectedMs: Math.round(expected), cost: (expected / 1000) * devicePrice(this.ctx, device), late: false, straggler, rejected: [] }),
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      })
      if (!ins || !this.hold(device, ins.id)) continue
      transition(this.ctx.log, 'instance', ins.id, 'new', 'leased', { task: r.task_id, device: device.id, spare: 1, straggler: r.device_id, runningMs: now - r.leased_at, expectedMs: Math.round(r.expected_ms ?? 0) })
      const { prefer: _prefer, ...payload } = payloadOf(r)
      this.registry.holds(device.id, taskBlobs(payload).map((b) => b.hash))
      device.link.assign([this.taskMessage({ ...r, id: r.task_id }, payload, ins.id, deadline)])
    }
  }

  /** A job at its budget with nothing left running cannot progress: it fails, saying so. */
  private async failOverBudget(jobId: string, spent: number): Promise<void> {
    const now = this.ctx.now()
    const job = await this.ctx.db.selectFrom('jobs').select(['budget', 'status']).where('id', '=', jobId).executeTakeFirst()
    if (!job || job.status !== 'running') return
    const message = `budget_exhausted: the job has cost ${spent.toPrecision(3)} of its ${job.budget} token budget and its remaining tasks would overrun it; raise the budget and resubmit`
    const r = await this.ctx.db.transaction().execute(async (trx) => {
      const u = await trx.updateTable('jobs').set({ status: 'failed', error: message, updated_at: now }).where('id', '=', jobId).where('status', '=', 'running').executeTakeFirst()
      if (Number(u.numUpdatedRows) !== 1) return false
      await trx.updateTable('tasks').set({ state: 'cancelled', updated_at: now }).where('job_id', '=', jobId).where('state', '=', 'ready').execute()
      return true
    })
    if (!r) return
    transition(this.ctx.log, 'job', jobId, 'running', 'failed', { reason: 'budget' })
    this.ctx.bus.emit('job:changed', jobId)
  }

  /** Tokens already owed by each job: the cost of its accepted instances. */
  private async spentByJob(jobIds: string[]): Promise<Map<string, number>> {
    const rows = await inChunksAtOnce(jobIds, (part) =>
      this.ctx.db
        .selectFrom('instances')
        .select(['job_id', (eb) => eb.fn.sum<number>('cost').as('spent')])
        .where('job_id', 'in', part)
        .where('state', '=', 'valid')
        .groupBy('job_id')
        .execute(),
    )
    return new Map(rows.map((r) => [r.job_id, Number(r.spent ?? 0)]))
  }

  /**
   * Makes a pass's leases durable, in one transaction: for each, the task must still be ready
   * (null where someone else took it). The caller holds them on the devices once committed.
   * Claims and inserts go in chunks (one statement per chunk, not two per lease: 2,000
   * statements a pass under bench:load). Chunks come in a few sizes (store/chunks.ts) so the SQL
   * texts, and so the prepared statements, are reused.
   */
  private async leaseAll(list: Claim[]): Promise<({ instanceId: number; deadline: number } | null)[]> {
    if (list.length === 0) return []
    const now = this.ctx.now()
    const deadline = now + this.ctx.config.NIMBLE_LEASE_MS
    const shared = this.ctx.cluster.shared
    const rowOf = ({ t, device, expectedMs, explainJson }: Claim) => [t.id, t.job_id, device.id, now, deadline, expectedMs, devicePrice(this.ctx, device), explainJson, this.ctx.cluster.nodeId]
    if (!shared) {
      // One coordinator: every claim is expected to win (nothing else leases ready tasks, and
      // passes run one at a time), so the claims and inserts are sent as one unit
      // (store/atomic.ts: on SQLite one message to its writer thread, which does not hold the
      // connection across round trips). A claim that finds a task no longer ready (its job was
      // cancelled meanwhile) undoes them all, and the pass leases chunk by chunk below.
      const parts = inChunks(list)
      const r = await atomically(
        this.ctx.db,
        parts.flatMap((part) => [
          { query: claim.compile(this.ctx.db, part.map((c) => c.t.id), now), rows: part.length },
          { query: newLeases.compile(this.ctx.db, part.map(rowOf)) },
        ]),
      )
      if (r.ok) {
        const leased = new Map<number, number>()
        for (const res of r.results.filter((_, i) => i % 2 === 1)) for (const row of res.rows as { id: number; task_id: number }[]) leased.set(Number(row.task_id), Number(row.id))
        return list.map((c) => (leased.has(c.t.id) ? { instanceId: leased.get(c.t.id)!, deadline } : null))
      }
    }
    return this.ctx.db.transaction().execute(async (trx) => {
      // RETURNING's row order is not promised: leases are matched by task (a pass leases a task once).
      const leased = new Map<number, number>()
      // Every chunk's claim at once, then every insert at once: two round trips while the
      // transaction holds the connection (SQLite's worker thread, store/sqlite-turns.ts), not two per chunk.
      const parts = inChunks(list)
      const claimed = await Promise.all(
        parts.map((part) =>
          // The conditional update is the claim: a task someone else took meanwhile is not ready.
          (shared ? claimShared : claim).rows(
            trx,
            part.map((c) => c.t.id),
            now,
          ),
        ),
      )
      const got = new Set(claimed.flat().map((r) => Number(r.id)))
      const won = list.filter((c) => got.has(c.t.id))
      const inserted = await Promise.all(
        inChunks(won).map((rows) =>
          newLeases.run(
            trx,
            rows.map(rowOf),
          ),
        ),
      )
      for (const ins of inserted) for (const r of ins.rows) leased.set(Number(r.task_id), Number(r.id))
      return list.map((c) => (leased.has(c.t.id) ? { instanceId: leased.get(c.t.id)!, deadline } : null))
    })
  }

  /**
   * The device takes the lease just committed for it; or, when it left (or was replaced by a
   * new connection) while the lease was being written, the lease is handed to `onOrphaned`. A
   * device that leaves frees the leases its session holds (Leases.releaseDevice); one committed
   * after that would otherwise wait for its deadline.
   */
  private hold(device: DeviceSession, instanceId: number): boolean {
    if (!this.registry.current(device)) {
      this.onOrphaned?.(device.id, [instanceId])
      return false
    }
    device.leases.add(instanceId)
    leasesHeld.observe(device.leases.size)
    return true
  }

  /** The task as the device receives it. */
  taskMessage(t: Pick<ReadyRow, 'id' | 'job_id' | 'shard' | 'rows' | 'round'>, payload: Payload, instanceId: number, deadline: number): Task {
    const task = leasedMessage(t, payload, instanceId, deadline)
    return this.signTask ? this.signTask(task) : task
  }
}
