/**
 * Verifier: pending results of a task -> an accepted result, or more copies.
 *
 * Reads:  the task's pending instances (results that passed the format checks) and their
 *         blobs, the base weights of a training task, the first device's trust.
 * Writes: tasks.replicas (decided at the first result: 2 for a device that has not earned
 *         trust, else 1 except with NIMBLE_REPLICATE_PROBABILITY), instances pending=>valid
 *         (quorum winners: `credits` row with the coordinator's FLOP estimate, once per
 *         instance) or pending=>invalid (outliers), tasks leased=>done with the winning
 *         blob and its verdict (single | agreed | majority | spot-checked | unreplicated), or leased=>ready
 *         for one more copy on a different device and wallet (server/replicas.ts).
 * Wakes:  the assimilator (task:done), the dispatcher (tasks:ready).
 *
 * Only accepted results reach `tasks.result_hash`, so the assimilator never sees another.
 * When a copy is needed and no eligible device is online, a cheap task is recomputed by the
 * coordinator instead of waiting; single trusted results of cheap tasks are spot-checked the
 * same way at NIMBLE_SPOT_CHECK_RATE.
 */
import { taskMemory } from './dispatcher'
import { requiredBackends } from '../lib/model/backends'
import { sql, type Transaction } from 'kysely'
import type { Database } from './store/schema'
import { mulberry32 } from '../lib/compute/prng'
import { unpackTensors, type NamedTensor } from '../lib/protocol'
import { compareResults } from '../lib/verify/compare'
import { quorum } from '../lib/verify/quorum'
import { needsReplica, NEW_DEVICE, type TrustState } from '../lib/verify/trust'
import type { Ctx } from './context'
import { transition } from './log'
import { maybePlantCanary, type PlantableTask } from './canary'
import { canRecompute, recompute } from './recompute'
import type { Registry } from './registry'
import { bannedAmong, replicaAvoid } from './replicas'
import type { TaskRow } from './store/schema'
import { loadTrust, recordTrust, trustMoved, trustPolicy } from './trust'
import { prepared, preparedRows } from './store/prepared'
import { forgetPayloads, taskPayload } from './payloads'
import { inChunks } from './store/chunks'
import { atomically, type Checked } from './store/atomic'

/**
 * `v(col, ...) AS (VALUES (...), ...)`: rows for a statement to join on (`WITH v ... UPDATE ... FROM v`),
 * each value cast to its column's type (PostgreSQL would otherwise take untyped parameters for text).
 * One update joined on these rows costs a lookup per row; a `CASE id WHEN ...` per column cost a
 * comparison per row and branch (a 256-row chunk: 11 µs a row on SQLite). `rows` are the
 * placeholders of a prepared statement (store/prepared.ts: built once per row count).
 */
function valuesOf(cols: [name: string, type: string][], rows: unknown[][]) {
  const names = sql.raw(cols.map(([name]) => name).join(', '))
  return sql`v(${names}) AS (VALUES ${sql.join(rows.map((row) => sql`(${sql.join(row.map((value, i) => sql`CAST(${value} AS ${sql.raw(cols[i][1])})`))})`))})`
}

// acceptAlone's statements, one per chunk of results.
/** Rows (instance, finished at, result hash, elapsed ms, bytes, reported loss): each result in and valid at once, and what the owner pays (the device-time the coordinator saw, at the price fixed at lease). */
const acceptedResults = preparedRows<{ id: number }>(
  6,
  (rows) => sql`WITH ${valuesOf(
    [
      ['id', 'bigint'],
      ['finished_at', 'bigint'],
      ['result_hash', 'text'],
      ['elapsed_ms', 'double precision'],
      ['result_bytes', 'integer'],
      ['reported_loss', 'double precision'],
    ],
    rows,
  )} UPDATE instances SET state = 'valid', finished_at = v.finished_at, result_hash = v.result_hash,
      elapsed_ms = v.elapsed_ms, result_bytes = v.result_bytes, reported_loss = v.reported_loss,
      cost = (v.finished_at - instances.leased_at) / 1000.0 * coalesce(instances.price_per_s, 0)
    FROM v WHERE instances.id = v.id AND instances.state = 'leased' RETURNING instances.id`,
)
/** Rows (task, result hash), then now: the tasks done with a single copy, and how many spares each had (see acceptAlone). */
const singleDone = preparedRows<{ id: number; spares: number }>(
  2,
  (rows, _db, arg) => sql`WITH ${valuesOf(
    [
      ['id', 'bigint'],
      ['result_hash', 'text'],
    ],
    rows,
  )} UPDATE tasks SET state = 'done', verdict = 'single', updated_at = ${arg(0)}, replicas = 1, result_hash = v.result_hash
    FROM v WHERE tasks.id = v.id AND tasks.state = 'leased' RETURNING tasks.id, tasks.spares`,
)
/** Rows (instance, task, job, device, flops, created at): their credits. */
const credits = preparedRows(6, (rows, db) => db.insertInto('credits').values(rows.map(([instance_id, task_id, job_id, device_id, flops, created_at]) => ({ instance_id, task_id, job_id, device_id, flops, created_at }))))
/** Rows (device, results accepted): counters and earned trust of unbanned devices. */
const devicesEarned = preparedRows<Omit<Earned, 'earned'>>(
  2,
  (rows) => sql`WITH ${valuesOf(
    [
      ['id', 'text'],
      ['n', 'integer'],
    ],
    rows,
  )} UPDATE devices SET tasks_valid = tasks_valid + v.n, trust_streak = trust_streak + v.n, trust_expired = 0
    FROM v WHERE devices.id = v.id AND devices.banned_at IS NULL RETURNING devices.id, devices.trust_streak, devices.tasks_invalid, devices.banned_at, devices.address`,
)

/** acceptAlone lost a race (a lease or task changed since it was read): nothing of it was written. */
export class Raced extends Error {}

/** Copies after which a task without a majority starts over. */
const MAX_COPIES = 5

export type Settled = { state: 'accepted' | 'waiting' | 'rejected'; losers: string[]; winners: string[] }

/**
 * `recovering`: see settle. `fresh`: what the caller already has in hand for the result that
 * brought it here (its bytes, and its device's trust as read a moment ago), so they are not
 * read again from disk and the database.
 */
export type SettleOptions = { recovering?: boolean; fresh?: { hash: string; bytes: Uint8Array; deviceId: string; trust: TrustState }; decided?: Decision }

/**
 * The random choices a lone result's settlement makes, drawn once: copies needed (when the
 * task has not decided yet) and whether a single accepted copy is spot-checked.
 */
export type Decision = { needed: number; spot: boolean }

/** A result settled on its own in a batch (`acceptAlone`): the only copy of its task. */
export type Alone = {
  /** The columns accepting it needs (and planting it as a canary). */
  task: PlantableTask
  instanceId: number
  deviceId: string
  leasedAt: number
  /** When the result arrived: the instance's finish, and the end of the device-time paid for. */
  finishedAt: number
  hash: string
  bytes: number
  elapsedMs: number
  loss: number | null
}

export class Verifier {
  private draw: () => number

  constructor(
    private ctx: Ctx,
    private registry?: Registry,
  ) {
    const seed = ctx.config.NIMBLE_VERIFY_SEED
    this.draw = seed === undefined ? Math.random : mulberry32(seed)
  }

  /**
   * Decides what the task's pending results amount to. Call after each result that passed the
   * format checks. `recovering`: judging a result a dead process left behind, when the devices
   * may not have reconnected yet; a lone copy is then never accepted unreplicated for want of
   * another device online (the task waits for one instead).
   */
  async settle(taskId: number, opts: SettleOptions = {}): Promise<Settled> {
    const { db, blobs, log } = this.ctx
    const none: Settled = { state: 'waiting', losers: [], winners: [] }
    const task = await taskById.first(db, taskId)
    if (!task || task.state !== 'leased') return none
    /** replicas decided now and not yet written: the verdict's update writes it. */
    let fixed: number | null = null
    const all = await pendingCopies.rows(db, taskId)
    // One vote per device and per wallet: a second copy from the same owner proves nothing (it
    // can happen when no other device was connected and the dispatcher's avoid list gave way).
    const seen = new Set<string>()
    const pending = all.filter((p) => {
      const keys = [`d:${p.device_id}`, ...(p.address ? [`w:${p.address}`] : [])]
      const dup = keys.some((k) => seen.has(k))
      keys.forEach((k) => seen.add(k))
      return !dup
    })
    const dups = all.filter((p) => !pending.includes(p))
    if (dups.length) {
      await db.updateTable('instances').set({ state: 'cancelled', error: 'a second copy from the same device or wallet does not count' }).where('id', 'in', dups.map((d) => d.id)).execute()
      for (const d of dups) transition(log, 'instance', d.id, 'pending', 'cancelled', { task: taskId, device: d.device_id, reason: 'same device or wallet as another copy' })
    }
    if (pending.length === 0) return this.requeue(task, 'no result left after discarding')

    let needed = task.replicas
    const fresh = opts.fresh
    // Drawn already by a batch that sent this result here (validator): not drawn twice.
    const decided = pending.length === 1 && fresh?.deviceId === pending[0].device_id ? opts.decided : undefined
    if (needed === 0) {
      const first = pending[0].device_id
      const trust = (fresh?.deviceId === first ? fresh.trust : await loadTrust(this.ctx, first)) ?? NEW_DEVICE
      needed = decided?.needed ?? this.neededFor(trust)
      // Decided once, at the first result; one copy is written with the verdict, which comes at once.
      if (needed > 1) {
        await db.updateTable('tasks').set({ replicas: needed }).where('id', '=', taskId).execute()
        log.info({ task: taskId, device: first }, `task ${taskId} replicated: ${needed} agreeing copies needed`)
      } else fixed = needed
    }
    const payload = taskPayload<{ kind: string; weights?: { hash: string } }>(this.ctx.db, task)
    const base = payload.kind === 'train' && payload.weights ? unpackTensors(blobs.readArrayBuffer(payload.weights.hash)) : null
    const results = pending.map((p) => unpackTensors(fresh?.hash === p.result_hash ? fresh.bytes : blobs.readArrayBuffer(p.result_hash!)))
    const agree = (a: NamedTensor[], b: NamedTensor[]) => compareResults(a, b, base).agree
    let q = quorum(results.length, (i, j) => agree(results[i], results[j]), needed, MAX_COPIES)

    let verdict = needed === 1 ? 'single' : 'agreed'
    const wantsCopy = q.state === 'more' && !(await this.anotherDeviceCanRun(task))
    const spot = q.state === 'accepted' && needed === 1 && (decided ? decided.spot : this.drawSpot())
    if ((wantsCopy || spot) && canRecompute(this.ctx, task, payload)) {
      const reference = await recompute(this.ctx, task)
      const ok = results.map((r) => agree(r, reference))
      log.info({ task: taskId, agree: ok.filter(Boolean).length, of: ok.length }, `task ${taskId} spot-checked by the coordinator: ${ok.filter(Boolean).length}/${ok.length} agree`)
      verdict = 'spot-checked'
      const winners = ok.flatMap((v, i) => (v ? [i] : []))
      const losers = ok.flatMap((v, i) => (v ? [] : [i]))
      q = winners.length ? { state: 'accepted', winners, losers } : { state: 'exhausted' }
      if (!winners.length) return this.reject(task, pending, 'disagrees with the coordinator’s own computation')
    }
    if (q.state === 'more' && wantsCopy && pending.length === 1 && !opts.recovering) {
      // Nobody else could ever run a copy (a one-device fleet, a pipeline stage) and the
      // coordinator cannot recompute it: waiting would stall the job for good. The result is
      // used, marked unreplicated, and its device earns no trust for it.
      log.warn({ task: taskId, device: pending[0].device_id }, `task ${taskId} accepted unreplicated: no other eligible device is online`)
      return this.accept(task, pending, [], 'unreplicated', fixed)
    }
    if (q.state === 'more') return this.requeue(task, `${pending.length} of ${needed} agreeing copies`)
    if (q.state === 'exhausted') return this.reject(task, [], `no majority among ${pending.length} copies`, pending)
    if (verdict === 'agreed' && q.losers.length) verdict = 'majority'
    return this.accept(task, q.winners.map((i) => pending[i]), q.losers.map((i) => pending[i]), verdict, fixed)
  }

  /** Copies a task needs, decided at its first result from a device with this trust. */
  private neededFor(trust: TrustState): number {
    return this.ctx.config.NIMBLE_REPLICATION === 'off' ? 1 : needsReplica(trust, trustPolicy(this.ctx.config), this.draw()) ? 2 : 1
  }

  private drawSpot(): boolean {
    return this.draw() < this.ctx.config.NIMBLE_SPOT_CHECK_RATE
  }

  /**
   * What settling the first and only result of a task would draw: the copies it needs (unless
   * the task decided already) and, needing one, whether it is spot-checked. A batch draws it
   * once and passes it to settle() when the result cannot be accepted alone.
   */
  decide(task: Pick<TaskRow, 'replicas'>, trust: TrustState): Decision {
    const needed = task.replicas === 0 ? this.neededFor(trust) : task.replicas
    return { needed, spot: needed === 1 && this.drawSpot() }
  }

  /**
   * Accepts results that each are the only copy of their task, needs one copy (decide()) and
   * is not spot-checked: what settle() would conclude for each, in a few statements for the
   * lot instead of about eight per result. One transaction: every result is accepted, or (when
   * one of them raced a lapse, a cancel or its device's ban) none is and it throws Raced; the
   * caller then settles them one by one.
   *
   * Returns the tasks that had a spare copy leased (a straggler's): only they can still have
   * another copy leased, for the caller to cancel. A spare is counted on its task in the
   * transaction that leases it, which locks the task's row on PostgreSQL, so this update sees
   * every spare leased before it, and none can be leased after it (the task is done).
   */
  async acceptAlone(items: Alone[]): Promise<number[]> {
    const { db, log } = this.ctx
    const now = this.ctx.now()
    // Counters and earned trust, one statement per chunk of devices, in id order (see bumpDevices).
    // A device banned since its lease was read (its wallet's other device cheated, say) earns
    // nothing: the per-result path then refuses its result (banned).
    const perDevice = new Map<string, number>()
    for (const a of items) perDevice.set(a.deviceId, (perDevice.get(a.deviceId) ?? 0) + 1)
    const parts = inChunks(items)
    const deviceParts = inChunks([...perDevice].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    // Known up front, so sent together (store/atomic.ts): on SQLite one message to its thread,
    // which checks each statement's rows as it runs them.
    const statements: (Checked & { raced: string })[] = [
      // The result in and valid at once (the per-result path passes through 'pending').
      ...parts.map((part) => ({
        query: acceptedResults.compile(
          db,
          part.map((a) => [a.instanceId, a.finishedAt, a.hash, a.elapsedMs, a.bytes, a.loss]),
        ),
        rows: part.length,
        raced: 'a lease lapsed or was cancelled meanwhile',
      })),
      ...parts.map((part) => ({
        query: singleDone.compile(
          db,
          part.map((a) => [a.task.id, a.hash]),
          now,
        ),
        rows: part.length,
        raced: 'a task was settled or cancelled meanwhile',
      })),
      ...parts.map((part) => ({ query: credits.compile(db, part.map((a) => [a.instanceId, a.task.id, a.task.job_id, a.deviceId, a.task.flops, now])), raced: '' })),
      ...deviceParts.map((part) => ({ query: devicesEarned.compile(db, part), rows: part.length, raced: 'a device was banned meanwhile' })),
    ]
    const r = await atomically(db, statements)
    if (!r.ok) throw new Raced(statements[r.failed].raced)
    const earned: Earned[] = []
    for (const res of r.results.slice(-deviceParts.length)) for (const d of res.rows as Omit<Earned, 'earned'>[]) earned.push({ ...d, earned: perDevice.get(d.id)! })
    const withSpares: number[] = []
    for (const res of r.results.slice(parts.length, 2 * parts.length)) for (const t of res.rows as { id: number; spares: number }[]) if (Number(t.spares) > 0) withSpares.push(Number(t.id))
    const rounds = new Map<string, { jobId: string; round: number }>()
    for (const a of items) {
      transition(log, 'instance', a.instanceId, 'leased', 'valid', { task: a.task.id, device: a.deviceId, verdict: 'single' })
      transition(log, 'task', a.task.id, 'leased', 'done', { job: a.task.job_id, round: a.task.round, verdict: 'single', copies: 1 })
      rounds.set(`${a.task.job_id}:${a.task.round}`, { jobId: a.task.job_id, round: a.task.round })
    }
    // Once per job and round: what listens (the assimilator, live views) looks at all of them.
    for (const { jobId, round } of rounds.values()) this.ctx.bus.emit('task:done', jobId, round)
    forgetPayloads(db, items.map((a) => a.task.id))
    // Committed: the results are accepted whatever follows, and the caller must hear so.
    try {
      await this.trustEarned(earned)
      for (const a of items) await maybePlantCanary(this.ctx, a.task, a.hash, this.draw())
    } catch (e) {
      log.error({ err: e, results: items.length }, 'after accepting a batch of results: trust or canaries failed')
    }
    return withSpares
  }

  /** Whether an online, unbanned device other than the holders (and their wallets) could run a copy: not avoided, and the task fits it. */
  private async anotherDeviceCanRun(task: TaskRow): Promise<boolean> {
    if (!this.registry) return true
    const online = this.registry.all()
    const banned = await bannedAmong(this.ctx, online)
    const avoid = new Set([...banned, ...((await replicaAvoid(this.ctx, [task.id], online, banned)).get(task.id) ?? [])])
    // It must also fit there (a pipeline stage may fit only the device that ran it).
    const payload = taskPayload<Parameters<typeof taskMemory>[0]>(this.ctx.db, task)
    const need = taskMemory(payload)
    const backends: string[] | undefined = payload.model ? requiredBackends(payload.model, payload.kind as 'train') : undefined
    return online.some((d) => !avoid.has(d.id) && (d.profile.memoryBudget === 0 || d.profile.memoryBudget >= need) && (!backends || backends.includes(d.profile.backend)))
  }

  private async accept(task: TaskRow, winners: { id: number; device_id: string; result_hash: string | null }[], losers: { id: number; device_id: string }[], verdict: string, replicas: number | null): Promise<Settled> {
    const { db, log } = this.ctx
    const now = this.ctx.now()
    const ok = await db.transaction().execute(async (trx) => {
      if ((await taskDone.changed(trx, task.id, winners[0].result_hash, verdict, now, replicas)) !== 1) return false
      const counts = new Map<string, Bump>()
      const count = (id: string) => counts.get(id) ?? counts.set(id, { valid: 0, invalid: 0, earned: 0 }).get(id)!
      for (const w of winners) {
        // What the owner pays: the device-time the coordinator saw (lease to result), at the class price fixed at lease.
        if ((await copyValid.changed(trx, w.id)) !== 1) continue // discarded meanwhile (its device was banned): no credit
        count(w.device_id).valid++
        // An accepted result earns its device trust (its streak), in the same statement as the counter.
        if (verdict !== 'unreplicated') count(w.device_id).earned++
        await credit.run(trx, w.id, task.id, task.job_id, w.device_id, task.flops, now)
      }
      for (const l of losers) {
        await trx.updateTable('instances').set({ state: 'invalid', error: 'outvoted: disagrees with the accepted result' }).where('id', '=', l.id).where('state', '=', 'pending').execute()
        count(l.device_id).invalid++
      }
      return bumpDevices(trx, counts)
    })
    if (!ok) return { state: 'waiting', losers: [], winners: [] }
    await this.trustEarned(ok)
    for (const w of winners) transition(log, 'instance', w.id, 'pending', 'valid', { task: task.id, device: w.device_id, verdict })
    for (const l of losers) transition(log, 'instance', l.id, 'pending', 'invalid', { task: task.id, device: l.device_id, reason: 'outvoted' })
    transition(log, 'task', task.id, 'leased', 'done', { job: task.job_id, round: task.round, verdict, copies: winners.length + losers.length })
    forgetPayloads(db, [task.id])
    for (const l of losers) await recordTrust(this.ctx, l.device_id, 'invalid', `task ${task.id}: outvoted`)
    this.ctx.bus.emit('task:done', task.job_id, task.round)
    await maybePlantCanary(this.ctx, task, winners[0].result_hash!, this.draw())
    return { state: 'accepted', winners: winners.map((w) => w.device_id), losers: losers.map((l) => l.device_id) }
  }

  /**
   * Trust earned by accepted results, written already with the devices' counters: logs a
   * device that became trusted, and bans one that a valid result finds over the invalid limit
   * but not banned (what recordTrust does for any event; it can happen only after the policy
   * was tightened).
   */
  private async trustEarned(rows: Earned[]): Promise<void> {
    const policy = trustPolicy(this.ctx.config)
    for (const r of rows) {
      const after = { streak: r.trust_streak, invalid: r.tasks_invalid, expired: 0, banned: r.banned_at !== null }
      const over = !after.banned && after.invalid >= policy.banAfterInvalid
      await trustMoved(this.ctx, r, { ...after, streak: r.trust_streak - r.earned }, after, over ? `${after.invalid} invalid results; last: accepted` : null)
    }
  }

  /** Every listed pending result is invalid (with a strike), the rest (no strike) too; the task needs fresh copies. */
  private async reject(task: TaskRow, guilty: { id: number; device_id: string }[], why: string, unclear: { id: number }[] = []): Promise<Settled> {
    const { db, log } = this.ctx
    const now = this.ctx.now()
    await db.transaction().execute(async (trx) => {
      const counts = new Map<string, Bump>()
      for (const g of guilty) {
        await trx.updateTable('instances').set({ state: 'invalid', error: why.slice(0, 500) }).where('id', '=', g.id).where('state', '=', 'pending').execute()
        counts.set(g.device_id, { valid: 0, invalid: (counts.get(g.device_id)?.invalid ?? 0) + 1, earned: 0 })
      }
      await bumpDevices(trx, counts)
      // Without a majority nobody can be blamed: the copies are dropped and the task starts over.
      for (const u of unclear) await trx.updateTable('instances').set({ state: 'cancelled', error: why.slice(0, 500) }).where('id', '=', u.id).where('state', '=', 'pending').execute()
      await trx.updateTable('tasks').set({ state: 'ready', replicas: 2, updated_at: now }).where('id', '=', task.id).where('state', '=', 'leased').execute()
    })
    for (const g of guilty) transition(log, 'instance', g.id, 'pending', 'invalid', { task: task.id, device: g.device_id, reason: why.slice(0, 120) })
    transition(log, 'task', task.id, 'leased', 'ready', { reason: why.slice(0, 120) })
    for (const g of guilty) await recordTrust(this.ctx, g.device_id, 'invalid', `task ${task.id}: ${why}`)
    this.ctx.bus.emit('tasks:ready')
    return { state: 'rejected', losers: guilty.map((g) => g.device_id), winners: [] }
  }

  private async requeue(task: TaskRow, why: string): Promise<Settled> {
    const now = this.ctx.now()
    const r = await this.ctx.db.updateTable('tasks').set({ state: 'ready', updated_at: now }).where('id', '=', task.id).where('state', '=', 'leased').executeTakeFirst()
    if (Number(r.numUpdatedRows) === 1) {
      transition(this.ctx.log, 'task', task.id, 'leased', 'ready', { reason: `needs another copy (${why})` })
      this.ctx.bus.emit('tasks:ready')
    }
    return { state: 'waiting', losers: [], winners: [] }
  }
}

// The statements every accepted result runs, built once (store/prepared.ts).
const taskById = prepared(($, db) => db.selectFrom('tasks').selectAll().where('id', '=', $(0)))
const pendingCopies = prepared(($, db) =>
  db
    .selectFrom('instances')
    .innerJoin('devices', 'devices.id', 'instances.device_id')
    .select(['instances.id', 'instances.device_id', 'instances.result_hash', 'devices.address'])
    .where('instances.task_id', '=', $(0))
    .where('instances.state', '=', 'pending')
    .orderBy('instances.id'),
)
/** (task, result hash, verdict, now, replicas or null to keep them). */
const taskDone = prepared(($, db) =>
  db
    .updateTable('tasks')
    .set((eb) => ({ state: 'done', result_hash: $(1), verdict: $(2), updated_at: $(3), replicas: eb.fn.coalesce(eb.val($(4)), 'replicas') }))
    .where('id', '=', $(0))
    .where('state', '=', 'leased'),
)
/** What the owner pays: the device-time the coordinator saw (lease to result), at the class price fixed at lease. */
const copyValid = prepared(($, db) =>
  db
    .updateTable('instances')
    .set({ state: 'valid', cost: sql<number>`(finished_at - leased_at) / 1000.0 * coalesce(price_per_s, 0)` })
    .where('id', '=', $(0))
    .where('state', '=', 'pending'),
)
const credit = prepared(($, db) => db.insertInto('credits').values({ instance_id: $(0), task_id: $(1), job_id: $(2), device_id: $(3), flops: $(4), created_at: $(5) }))
/** (device, valid, invalid, earned): the counters; `bumpEarning` also adds earned trust. */
const bump = prepared(($, db) =>
  db
    .updateTable('devices')
    .set((eb) => ({ tasks_valid: eb('tasks_valid', '+', $(1)), tasks_invalid: eb('tasks_invalid', '+', $(2)) }))
    .where('id', '=', $(0))
    .returning(['id', 'trust_streak', 'tasks_invalid', 'banned_at', 'address']),
)
const bumpEarning = prepared(($, db) =>
  db
    .updateTable('devices')
    .set((eb) => ({ tasks_valid: eb('tasks_valid', '+', $(1)), tasks_invalid: eb('tasks_invalid', '+', $(2)), trust_streak: eb('trust_streak', '+', $(3)), trust_expired: 0 }))
    .where('id', '=', $(0))
    .returning(['id', 'trust_streak', 'tasks_invalid', 'banned_at', 'address']),
)

/**
 * Adds to devices' valid and invalid counters, one row per device in id order: two settlements
 * that touch the same devices then lock their rows in the same order (on PostgreSQL, copies of
 * two tasks from the same devices settled at once deadlocked when each locked them as listed).
 */
async function bumpDevices(trx: Transaction<Database>, counts: Map<string, Bump>): Promise<Earned[]> {
  const earned: Earned[] = []
  for (const [id, c] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (c.valid === 0 && c.invalid === 0) continue
    const r = await (c.earned ? bumpEarning : bump).first(trx, id, c.valid, c.invalid, c.earned)
    if (r && c.earned) earned.push({ ...r, earned: c.earned })
  }
  return earned
}

/** What a settlement adds to a device: counters, and accepted results that earn trust. */
type Bump = { valid: number; invalid: number; earned: number }
type Earned = { id: string; trust_streak: number; tasks_invalid: number; banned_at: number | null; address: string | null; earned: number }
