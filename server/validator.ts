/**
 * Validator: returned results -> valid or invalid.
 *
 * Reads:  the instance (lease) the result quotes, its task's model spec.
 * Writes: instances leased=>pending (well-formed: the verifier decides, server/verifier.ts)
 *         or leased=>invalid (malformed, untrained, or from a banned device), tasks
 *         leased=>ready when rejected (someone else redoes it), device counters and trust.
 * Wakes:  the dispatcher (tasks:ready); the verifier wakes the assimilator.
 *
 * A result is untrusted: it must quote a live lease held by the sending device, and the
 * weights must have exactly the model's tensors, shapes and only finite values, and a
 * training result must have moved from its starting weights. Nothing the device reports
 * about itself (loss, time) is credited; credit is written only when the verifier accepts.
 */
import { NimbleError, unpackTensors, type ModelSpec, type NamedTensor, type TaskResultMeta } from '../lib/protocol'
import { weightShapes } from '../lib/model/shapes'
import type { Ctx } from './context'
import { lazyUpdate } from '../lib/verify/compare'
import { transition } from './log'
import type { Registry } from './registry'
import { failJobIfExhausted } from './task-attempts'
import { payloadsOfTasks, taskPayload } from './payloads'
import { recordTrust, trustOf } from './trust'
import { Raced, Verifier, type Alone, type Decision } from './verifier'
import { isCanary, judgeCanary } from './canary'
import { armed, failpoint } from './failpoint'
import { prepared, preparedIn } from './store/prepared'
import { inChunksAtOnce } from './store/chunks'
import { canRecompute, recompute } from './recompute'
import type { Kysely } from 'kysely'
import type { Database, TaskRow } from './store/schema'

/** Checks a result pack against the tensors the task must return (weights for training, `y` for inference). */
export function checkResult(expected: { name: string; shape: number[] }[], bytes: Uint8Array): NamedTensor[] {
  const tensors = unpackTensors(bytes)
  if (tensors.length !== expected.length) {
    throw new NimbleError({ code: 'invalid_result', message: `result has ${tensors.length} tensors, the task expects ${expected.length}` })
  }
  expected.forEach((e, i) => {
    const t = tensors[i]
    if (t.name !== e.name || t.shape.length !== e.shape.length || t.shape.some((d, j) => d !== e.shape[j])) {
      throw new NimbleError({ code: 'invalid_result', message: `result tensor ${i} is ${t.name} [${t.shape}], expected ${e.name} [${e.shape}]` })
    }
    for (let j = 0; j < t.data.length; j++) {
      if (!Number.isFinite(t.data[j])) throw new NimbleError({ code: 'invalid_result', message: `result tensor ${t.name} holds a non-finite value at index ${j}` })
    }
  })
  return tensors
}

// The statements every result runs, built once (store/prepared.ts).
/** The instance's and the sending device's columns of a lease row. */
const LEASE_COLUMNS = [
  'instances.id as i_id',
  'instances.device_id as i_device_id',
  'instances.task_id as i_task_id',
  'instances.state as i_state',
  'instances.leased_at as i_leased_at',
  'devices.banned_at as d_banned_at',
  'devices.ban_reason as d_ban_reason',
  'devices.trust_streak as d_trust_streak',
  'devices.tasks_invalid as d_tasks_invalid',
  'devices.trust_expired as d_trust_expired',
] as const
/** The task's columns a batch of results needs: no payload (kept parsed, server/payloads.ts), none only the one-by-one path reads. */
const BATCH_TASK_COLUMNS = ['id', 'job_id', 'round', 'shard', 'rows', 'state', 'flops', 'replicas', 'verdict'] as const
const leaseJoin = (db: Kysely<Database>) => db.selectFrom('instances').innerJoin('tasks', 'tasks.id', 'instances.task_id').leftJoin('devices', 'devices.id', 'instances.device_id')
/** The lease, its whole task and the sending device, in one query. */
const leaseWithTask = prepared(($, db) => leaseJoin(db).selectAll('tasks').select(LEASE_COLUMNS).where('instances.id', '=', $(0)))
/**
 * A batch's leases with the columns of their tasks it needs. The payload, and every column
 * the batch does not use, made the read 40-80% longer (7.4-9.3 against 5.2-5.4 µs a row, 230 rows).
 */
const leasesWithTasks = preparedIn((ids, db) =>
  leaseJoin(db)
    .select(BATCH_TASK_COLUMNS.map((c) => `tasks.${c}` as const))
    .select(LEASE_COLUMNS)
    .where('instances.id', 'in', ids),
)
type LeaseRow = Awaited<ReturnType<typeof leasesWithTasks.rows>>[number]
type BatchTask = Pick<TaskRow, (typeof BATCH_TASK_COLUMNS)[number]>
/** Which of these tasks have a result already waiting for its quorum. */
const pendingOf = preparedIn((ids, db) => db.selectFrom('instances').select('task_id').where('task_id', 'in', ids).where('state', '=', 'pending'))

/**
 * A lease row as its parts: the instance, its task, and the sending device (undefined when it
 * has no row). The task's columns are copied by name: a rest pattern (`...task`) over the row
 * took ten times as long (about 5 µs a result under bench:load).
 */
function splitLease<T>(row: Record<string, unknown> & Omit<LeaseRow, (typeof BATCH_TASK_COLUMNS)[number]>, taskColumns: readonly string[]) {
  const task = {} as Record<string, unknown>
  for (const k of taskColumns) task[k] = row[k]
  const inst = { id: row.i_id, device_id: row.i_device_id, task_id: row.i_task_id, state: row.i_state, leased_at: row.i_leased_at }
  const device = row.d_trust_streak === null ? undefined : { banned_at: row.d_banned_at, ban_reason: row.d_ban_reason, trust_streak: row.d_trust_streak, tasks_invalid: row.d_tasks_invalid ?? 0, trust_expired: row.d_trust_expired ?? 0 }
  return { inst, task: task as T, device }
}
/** The columns of `tasks` in a whole lease row (leaseWithTask): every column but the instance's and the device's. */
let wholeTaskColumns: string[] | null = null
const LEASE_ALIASES = new Set(LEASE_COLUMNS.map((c) => c.split(' as ')[1]))

/** A training result that did not move from its starting weights (`check`). */
class Unmoved extends NimbleError {
  constructor(
    message: string,
    readonly tensors: NamedTensor[],
    readonly baseHash: string,
  ) {
    super({ code: 'invalid_result', message })
  }
}

/** What checking a result needs of its task's payload. */
type CheckedPayload = { kind: string; model: ModelSpec; shapes?: { name: string; shape: number[] }[]; weights?: { hash: string } }

type Submitted = { jobId: string; round: number; flops: number; observedMs: number; accepted: boolean }
/** A result waiting for its turn's batch; `at`: when it arrived (its finish time, and the device-time paid for, end there). */
type Submission = { deviceId: string; meta: TaskResultMeta; bytes: Uint8Array; at: number; resolve: (r: Submitted) => void; reject: (e: unknown) => void }

/** (instance, result hash, now, elapsed ms, bytes, reported loss): a live lease's result is in, waiting for its verdict. */
const resultIn = prepared(($, db) =>
  db
    .updateTable('instances')
    .set({ state: 'pending', result_hash: $(1), finished_at: $(2), elapsed_ms: $(3), result_bytes: $(4), reported_loss: $(5) })
    .where('id', '=', $(0))
    .where('state', '=', 'leased'),
)
/** (tasks, then now): their other live copies are cancelled. */
const cancelLeasedIn = preparedIn((taskIds, db, arg) =>
  db
    .updateTable('instances')
    .set({ state: 'cancelled', finished_at: arg(0), error: 'another copy finished first' })
    .where('task_id', 'in', taskIds)
    .where('state', '=', 'leased')
    .returning(['id', 'device_id', 'task_id']),
)

export class Validator {
  private verifier: Verifier
  /** Told when an accepted result makes other live copies of its task (straggler spares) unnecessary. */
  onCancelled?: (instanceId: number, deviceId: string) => void

  constructor(
    private ctx: Ctx,
    registry?: Registry,
  ) {
    this.verifier = new Verifier(ctx, registry)
  }

  /**
   * Checks one result and hands it to the verifier. Throws NimbleError (stale_lease,
   * invalid_result, banned) with the reason for the device. `accepted` is false while the
   * result waits for its copies.
   *
   * Results that arrive in the same turn of the event loop are settled together (submitBatch).
   */
  submit(deviceId: string, meta: TaskResultMeta, bytes: Uint8Array): Promise<Submitted> {
    return new Promise<Submitted>((resolve, reject) => {
      this.queue.push({ deviceId, meta, bytes, at: this.ctx.now(), resolve, reject })
      if (this.queue.length === 1) setImmediate(() => this.drain())
    })
  }

  private queue: Submission[] = []

  private drain(): void {
    const batch = this.queue
    this.queue = []
    // A promise already settled ignores the second call: only the ones left hear the error.
    this.submitBatch(batch).catch((e) => {
      for (const s of batch) s.reject(e)
    })
  }

  /**
   * A turn's results. Those that are each the only copy of their task, well formed, from an
   * unbanned device, need one copy and are not spot-checked (the common case once devices are
   * trusted) are accepted together: a read of their leases, and a few statements for the lot
   * (Verifier.acceptAlone), where one by one each took about ten. Every other result, and all
   * of them if the batch lost a race, goes through submitOne as before. The random choices
   * (copies, spot check) are drawn once per result either way.
   */
  private async submitBatch(batch: Submission[]): Promise<void> {
    const { db } = this.ctx
    const rows = new Map<number, LeaseRow>()
    for (const r of await inChunksAtOnce([...new Set(batch.map((s) => s.meta.instanceId))], (part) => leasesWithTasks.rows(db, part))) rows.set(r.i_id, r)
    const perTask = new Map<number, number>()
    for (const s of batch) perTask.set(s.meta.taskId, (perTask.get(s.meta.taskId) ?? 0) + 1)
    const candidates = armed('judge')
      ? []
      : batch.filter((s) => {
          const r = rows.get(s.meta.instanceId)
          return !!r && r.i_device_id === s.deviceId && r.i_task_id === s.meta.taskId && r.i_state === 'leased' && r.state === 'leased' && r.d_trust_streak !== null && !r.d_banned_at && !isCanary(r) && perTask.get(r.id) === 1 && r.replicas <= 1
        })
    // A task with a copy already waiting for its quorum is settled with it, one by one.
    const waiting = new Set<number>()
    for (const w of await inChunksAtOnce(candidates.map((s) => s.meta.taskId), (part) => pendingOf.rows(db, part))) waiting.add(w.task_id)
    const payloads = await payloadsOfTasks<CheckedPayload>(db, candidates.map((s) => s.meta.taskId))
    const alone: { s: Submission; a: Alone }[] = []
    const decided = new Map<Submission, Decision>()
    for (const s of candidates) {
      const row = rows.get(s.meta.instanceId)!
      if (waiting.has(row.id)) continue
      const { inst, task, device } = splitLease<BatchTask>(row, BATCH_TASK_COLUMNS)
      const payload = payloads.get(task.id)
      if (!payload) continue
      // Whatever goes wrong with one result (its checks, storing its bytes) sends it, and only
      // it, one by one: submitOne refuses it with the reason, or fails it alone.
      try {
        this.check(payload, s.bytes)
        const d = this.verifier.decide(task, trustOf(device!))
        // Drawn once: should this result go one by one after all, settle() uses the same draw.
        decided.set(s, d)
        if (d.needed !== 1 || (d.spot && canRecompute(this.ctx, task, payload))) continue
        const ref = this.ctx.blobs.put(s.bytes)
        const loss = s.meta.loss !== null && Number.isFinite(s.meta.loss) ? s.meta.loss : null
        alone.push({ s, a: { task, instanceId: inst.id, deviceId: s.deviceId, leasedAt: inst.leased_at, finishedAt: s.at, hash: ref.hash, bytes: s.bytes.byteLength, elapsedMs: s.meta.elapsedMs, loss } })
      } catch {
        continue
      }
    }
    let accepted = false
    let withSpares: number[] = []
    if (alone.length) {
      try {
        withSpares = await this.verifier.acceptAlone(alone.map((x) => x.a))
        accepted = true
      } catch (e) {
        if (!(e instanceof Raced)) this.ctx.log.warn({ err: e, results: alone.length }, 'settling a batch of results together failed; settling them one by one')
      }
    }
    if (accepted) {
      // Accepted and committed: a failure from here on is logged, never turned into a refusal.
      // Only a spare can still hold a copy of a task accepted alone (acceptAlone says which had one).
      if (withSpares.length) await this.cancelCopies(...withSpares).catch((e) => this.ctx.log.error({ err: e }, 'cancelling the spare copies of accepted tasks failed'))
      for (const { s, a } of alone) s.resolve({ jobId: a.task.job_id, round: a.task.round, flops: a.task.flops, observedMs: s.at - a.leasedAt, accepted: true })
    }
    const done = new Set(accepted ? alone.map((x) => x.s) : [])
    await Promise.all(batch.filter((s) => !done.has(s)).map((s) => this.submitOne(s.deviceId, s.meta, s.bytes, s.at, decided.get(s)).then(s.resolve, s.reject)))
  }

  /** The checks every result passes before its verdict (`payload`: its task's); throws invalid_result with the reason. */
  private check(payload: CheckedPayload, bytes: Uint8Array): NamedTensor[] {
    const tensors = checkResult(payload.shapes ?? weightShapes(payload.model), bytes)
    const lazy = payload.kind === 'train' && payload.weights ? lazyUpdate(tensors, this.baseOf(payload.weights.hash)) : null
    if (lazy) throw new Unmoved(lazy, tensors, payload.weights!.hash)
    return tensors
  }

  private baseOf(hash: string): NamedTensor[] {
    return unpackTensors(this.ctx.blobs.readArrayBuffer(hash))
  }

  /**
   * A training result that did not move from its starting weights is what a lazy device sends,
   * but also what honest training gives once a shard is learnt (a saturated softmax and dead
   * ReLUs have gradients of exactly zero: a chaos run's 136th round of Iris had one). When the
   * coordinator can run the task itself (cheap tasks), it does: if its own run barely moves
   * either, the result is honest ('accepted'), else 'refused'. A task too costly for it to run
   * gets a 'second opinion': another device's copy (the task then needs two agreeing copies,
   * whatever NIMBLE_REPLICATION says). Two copies that both did not move agree; a lazy copy
   * against trained ones is outvoted and counted against its device then. When no other device
   * could ever run a copy, the verifier uses it unreplicated, as any replicated result (waiting
   * would stall the job for good). Refusing it outright struck honest devices until they were
   * banned, and failed the job.
   */
  private async unmoved(task: TaskRow, e: Unmoved): Promise<'accepted' | 'refused' | 'second opinion'> {
    if (!canRecompute(this.ctx, task, taskPayload<CheckedPayload>(this.ctx.db, task))) {
      await this.ctx.db.updateTable('tasks').set({ replicas: 2 }).where('id', '=', task.id).where('replicas', '<', 2).execute()
      this.ctx.log.info({ task: task.id }, `task ${task.id}: a result that did not move from its starting weights, and the task is too costly for the coordinator to run (${task.flops} flops > NIMBLE_SPOT_MAX_FLOPS): another device's copy decides`)
      return 'second opinion'
    }
    try {
      const mine = await recompute(this.ctx, task)
      const moved = lazyUpdate(mine, this.baseOf(e.baseHash)) === null
      this.ctx.log.info({ task: task.id }, `task ${task.id}: a result that did not move from its starting weights; the coordinator's own run ${moved ? 'did move: refused' : 'did not either: accepted'}`)
      return moved ? 'refused' : 'accepted'
    } catch (err) {
      this.ctx.log.warn({ err, task: task.id }, 'recomputing a task whose result did not move failed; the result is refused')
      return 'refused'
    }
  }

  /** One result on its own: the lease, the checks, then the verifier's settle() for its task. */
  private async submitOne(deviceId: string, meta: TaskResultMeta, bytes: Uint8Array, now: number, decided?: Decision): Promise<Submitted> {
    const { db } = this.ctx
    // The lease, its task and the sending device, in one query.
    const row = await leaseWithTask.first(db, meta.instanceId)
    if (!row || row.i_device_id !== deviceId || row.i_task_id !== meta.taskId) {
      throw new NimbleError({ code: 'stale_lease', message: `lease ${meta.instanceId} is not held by this device` })
    }
    wholeTaskColumns ??= Object.keys(row).filter((k) => !LEASE_ALIASES.has(k))
    const { inst, task, device } = splitLease<TaskRow>(row, wholeTaskColumns)
    if (inst.state !== 'leased') {
      throw new NimbleError({ code: 'stale_lease', message: `lease ${meta.instanceId} is no longer live (${inst.state}); the task went to another device` })
    }
    if (device?.banned_at) {
      await this.refuse(inst, task, `banned: ${device.ban_reason ?? ''}`, false)
      throw new NimbleError({ code: 'banned', message: `this device is banned (${device.ban_reason ?? 'invalid results'}); its results are discarded` })
    }
    let tensors: NamedTensor[]
    try {
      tensors = this.check(taskPayload<CheckedPayload>(db, task), bytes)
    } catch (e) {
      const unmoved = e instanceof Unmoved ? await this.unmoved(task, e) : 'refused'
      if (unmoved === 'refused') {
        const message = e instanceof Error ? e.message : String(e)
        await this.refuse(inst, task, message, true)
        throw e
      }
      tensors = (e as Unmoved).tensors
    }
    const ref = this.ctx.blobs.put(bytes)
    if (isCanary(task)) {
      const agreed = await judgeCanary(this.ctx, task, inst, tensors, ref.hash)
      // Judged either way: another copy of it (a straggler's, when this was its spare) is not
      // needed. Left leased, it held the straggler's slot until the lease lapsed.
      await this.cancelCopies(task.id)
      if (!agreed) throw new NimbleError({ code: 'invalid_result', message: 'the result is wrong; it earns nothing' })
      return { jobId: task.job_id, round: task.round, flops: task.flops, observedMs: now - inst.leased_at, accepted: true }
    }
    const changed = await resultIn.changed(db, inst.id, ref.hash, now, meta.elapsedMs, bytes.byteLength, meta.loss !== null && Number.isFinite(meta.loss) ? meta.loss : null)
    if (changed !== 1) throw new NimbleError({ code: 'stale_lease', message: `lease ${meta.instanceId} lapsed while its result was checked` })
    transition(this.ctx.log, 'instance', inst.id, 'leased', 'pending', { task: task.id, device: deviceId })
    failpoint('judge', task.round)
    const settled = await this.verifier.settle(task.id, device ? { fresh: { hash: ref.hash, bytes, deviceId, trust: trustOf(device) }, decided } : {})
    if (settled.state === 'accepted') await this.cancelCopies(task.id)
    if (settled.losers.includes(deviceId) && !settled.winners.includes(deviceId)) {
      throw new NimbleError({ code: 'invalid_result', message: 'the result disagrees with the accepted result of the same task; it earns nothing' })
    }
    return { jobId: task.job_id, round: task.round, flops: task.flops, observedMs: now - inst.leased_at, accepted: settled.state === 'accepted' }
  }

  /**
   * Results a coordinator stored but died before judging: their task is still leased, no copy
   * is running, and the waiting (pending) result came in through a coordinator that is gone
   * (its heartbeat stopped, or this node's previous process). Judges them now, as that
   * coordinator would have; a live coordinator's results are left to it. Returns how many.
   */
  async resettleOrphans(): Promise<number> {
    const { db, cluster } = this.ctx
    const live = await cluster.liveNodes()
    const rows = await db
      .selectFrom('tasks')
      .innerJoin('instances', 'instances.task_id', 'tasks.id')
      .select('tasks.id')
      .distinct()
      .where('tasks.state', '=', 'leased')
      .where('instances.state', '=', 'pending')
      .where((eb) => eb.or([eb('instances.node_id', 'is', null), eb('instances.node_id', 'not in', live)]))
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('instances as i').select('i.id').whereRef('i.task_id', '=', 'tasks.id').where('i.state', '=', 'leased'))))
      .orderBy('tasks.id')
      .execute()
    for (const { id } of rows) {
      const settled = await this.verifier.settle(id, { recovering: true })
      if (settled.state === 'accepted') await this.cancelCopies(id)
    }
    return rows.length
  }

  /** The tasks are done: a copy still running elsewhere (a straggler's spare, or the straggler) is no longer needed. */
  private async cancelCopies(...taskIds: number[]): Promise<void> {
    const now = this.ctx.now()
    for (const c of await inChunksAtOnce(taskIds, (part) => cancelLeasedIn.rows(this.ctx.db, part, now))) this.cancelled(c.id, c.device_id, c.task_id)
  }

  private cancelled(instanceId: number, deviceId: string, taskId: number): void {
    transition(this.ctx.log, 'instance', instanceId, 'leased', 'cancelled', { task: taskId, device: deviceId, reason: 'another copy finished first' })
    this.onCancelled?.(instanceId, deviceId)
  }

  /** The instance is invalid and the task goes back to the queue; `strike` counts it against the device's trust. */
  private async refuse(inst: { id: number }, task: { id: number }, message: string, strike: boolean): Promise<void> {
    const { db, log } = this.ctx
    const now = this.ctx.now()
    const deviceId = (await db.selectFrom('instances').select('device_id').where('id', '=', inst.id).executeTakeFirstOrThrow()).device_id
    const changed = await db.transaction().execute(async (trx) => {
      const r = await trx.updateTable('instances').set({ state: 'invalid', finished_at: now, error: message.slice(0, 500) }).where('id', '=', inst.id).where('state', '=', 'leased').executeTakeFirst()
      if (Number(r.numUpdatedRows) !== 1) return false
      await trx.updateTable('tasks').set({ state: 'ready', updated_at: now }).where('id', '=', task.id).where('state', '=', 'leased').execute()
      if (strike) await trx.updateTable('devices').set((eb) => ({ tasks_invalid: eb('tasks_invalid', '+', 1) })).where('id', '=', deviceId).execute()
      return true
    })
    if (!changed) return
    transition(log, 'instance', inst.id, 'leased', 'invalid', { task: task.id, device: deviceId, reason: message.slice(0, 120) })
    transition(log, 'task', task.id, 'leased', 'ready', { reason: 'invalid result' })
    if (strike) await recordTrust(this.ctx, deviceId, 'invalid', message.slice(0, 200))
    await failJobIfExhausted(this.ctx, task.id)
    this.ctx.bus.emit('tasks:ready')
  }
}
