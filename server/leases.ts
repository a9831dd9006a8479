/**
 * Leases: every assignment has a deadline.
 *
 * Reads:  instances in state leased.
 * Writes: instances leased=>expired (deadline passed), leased=>abandoned (device left,
 *         the coordinator restarted, or the coordinator holding the device's socket died);
 *         their tasks leased=>ready.
 * Several coordinators: each lease records its node (instances.node_id). A node frees only
 * its own leases and those of dead nodes (no heartbeat for Cluster.deadAfterMs), never a
 * live node's; the sweeps run in one coordinator at a time (advisory lock).
 * Wakes:  the dispatcher (tasks:ready).
 */
import type { Ctx } from './context'
import { transition } from './log'
import { failJobIfExhausted } from './task-attempts'
import type { Registry } from './registry'
import { inChunksAtOnce } from './store/chunks'
import { recordTrust } from './trust'

export class Leases {
  private timer: NodeJS.Timeout | null = null

  constructor(
    private ctx: Ctx,
    private registry: Registry,
  ) {}

  start(intervalMs = 1000): void {
    const sweep = async () => {
      await this.ctx.cluster.exclusive('leases:sweep', async () => {
        await this.expire()
        await this.releaseDeadNodes()
      })
    }
    this.timer = setInterval(() => void sweep().catch((e) => this.ctx.log.error({ err: e }, 'lease sweep failed')), intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** Leases past their deadline go back to the queue; the device is told to drop the task. */
  async expire(): Promise<number> {
    const now = this.ctx.now()
    const late = await this.ctx.db.selectFrom('instances').select(['id', 'task_id', 'device_id']).where('state', '=', 'leased').where('deadline', '<', now).execute()
    for (const inst of late) {
      if (await this.free(inst, 'expired')) {
        await this.ctx.db.updateTable('devices').set((eb) => ({ tasks_expired: eb('tasks_expired', '+', 1) })).where('id', '=', inst.device_id).execute()
        await recordTrust(this.ctx, inst.device_id, 'expired', `lease ${inst.id} passed its deadline`)
        const s = this.registry.get(inst.device_id)
        if (s?.leases.delete(inst.id)) {
          s.link.cancel(inst.id, 'lease expired')
        }
      }
    }
    if (late.length) this.ctx.bus.emit('tasks:ready')
    return late.length
  }

  /**
   * A device disconnected: the leases its session held go back to the queue. They are found by
   * id (the session's, in memory), not by device: no index leads from a device to its leases
   * (one more b-tree written at every lease and verdict), and a search of every live lease for
   * each device made a storm of disconnects quadratic in the fleet (D devices x L live leases).
   * A lease committed after its device left is freed by the dispatcher (Dispatcher.onOrphaned);
   * any other lapses at its deadline.
   */
  async releaseDevice(deviceId: string, instanceIds: Iterable<number>): Promise<number> {
    const ids = [...instanceIds]
    let n = 0
    const held = await inChunksAtOnce(ids, (part) => this.ctx.db.selectFrom('instances').select(['id', 'task_id', 'device_id']).where('id', 'in', part).where('device_id', '=', deviceId).where('state', '=', 'leased').execute())
    for (const inst of held) if (await this.free(inst, 'abandoned')) n++
    if (n) this.ctx.bus.emit('tasks:ready')
    return n
  }

  /** A device gave up one task (it failed on its side): back to the queue. */
  async releaseInstance(instanceId: number, deviceId: string, reason: string): Promise<boolean> {
    return this.releaseOne(instanceId, deviceId, 'failed', reason)
  }

  /**
   * One lease back to the queue through no fault of its device: the coordinator could not
   * process its result. The device has let go of it, so it is no longer among the leases its
   * session would free when it leaves.
   */
  async abandon(instanceId: number, deviceId: string): Promise<boolean> {
    return this.releaseOne(instanceId, deviceId, 'abandoned')
  }

  private async releaseOne(instanceId: number, deviceId: string, to: 'failed' | 'abandoned', reason?: string): Promise<boolean> {
    const inst = await this.ctx.db.selectFrom('instances').select(['id', 'task_id', 'device_id']).where('id', '=', instanceId).where('device_id', '=', deviceId).where('state', '=', 'leased').executeTakeFirst()
    if (!inst) return false
    const ok = await this.free(inst, to, reason)
    if (ok) this.ctx.bus.emit('tasks:ready')
    return ok
  }

  /**
   * Leases whose device socket lived on a coordinator that is gone. On SQLite (one coordinator)
   * that is every lease but this process's; with several, those of nodes without a heartbeat.
   */
  async releaseDeadNodes(): Promise<number> {
    const { db, cluster } = this.ctx
    const live = await cluster.liveNodes()
    const held = await db.selectFrom('instances').select(['id', 'task_id', 'device_id', 'node_id']).where('state', '=', 'leased').where((eb) => eb.or([eb('node_id', 'is', null), eb('node_id', 'not in', live)])).execute()
    let n = 0
    for (const inst of held) if (await this.free(inst, 'abandoned')) n++
    if (cluster.shared) {
      const dead = await db.deleteFrom('nodes').where('id', 'not in', live).where('heartbeat_at', '<', this.ctx.now() - cluster.deadAfterMs).returning('id').execute()
      if (dead.length) {
        await db.updateTable('devices').set({ node_id: null }).where('node_id', 'in', dead.map((d) => d.id)).execute()
        this.ctx.log.warn({ nodes: dead.map((d) => d.id), leases: n }, `coordinator(s) ${dead.map((d) => d.id).join(', ')} stopped sending heartbeats; released ${n} lease(s)`)
        this.ctx.bus.emit('network:changed')
        this.ctx.bus.emit('nodes:lost', dead.map((d) => d.id))
      }
    }
    if (n) this.ctx.bus.emit('tasks:ready')
    return n
  }

  /**
   * On start no device is connected to this process yet, so none of its leases can still be
   * honoured; neither can those of dead coordinators. Live coordinators keep theirs.
   */
  async recoverAfterRestart(): Promise<number> {
    const mine = await this.ctx.db.selectFrom('instances').select(['id', 'task_id', 'device_id']).where('state', '=', 'leased').where('node_id', '=', this.ctx.cluster.nodeId).execute()
    let n = 0
    for (const inst of mine) if (await this.free(inst, 'abandoned')) n++
    n += await this.releaseDeadNodes()
    // A task left leased without a live instance or a result waiting for its verdict (crash
    // between the two writes) is ready again. One with a waiting result is the verifier's
    // (Validator.resettleOrphans): its result is judged, not thrown away.
    const orphans = await this.ctx.db
      .updateTable('tasks')
      .set({ state: 'ready', updated_at: this.ctx.now() })
      .where('state', '=', 'leased')
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('instances').select('instances.id').whereRef('instances.task_id', '=', 'tasks.id').where('instances.state', 'in', ['leased', 'pending']))),
      )
      .executeTakeFirst()
    n += Number(orphans.numUpdatedRows)
    return n
  }

  private async free(inst: { id: number; task_id: number; device_id: string }, to: 'expired' | 'abandoned' | 'failed', reason?: string): Promise<boolean> {
    const now = this.ctx.now()
    const changed = await this.ctx.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('instances')
        .set({ state: to, finished_at: now, error: reason?.slice(0, 500) ?? null })
        .where('id', '=', inst.id)
        .where('state', '=', 'leased')
        .executeTakeFirst()
      if (Number(r.numUpdatedRows) !== 1) return false
      // Back to the queue unless another copy of it (a straggler's spare) is still running.
      await trx
        .updateTable('tasks')
        .set({ state: 'ready', updated_at: now })
        .where('id', '=', inst.task_id)
        .where('state', '=', 'leased')
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('instances').select('instances.id').whereRef('instances.task_id', '=', 'tasks.id').where('instances.state', '=', 'leased'))))
        .execute()
      return true
    })
    if (changed) {
      transition(this.ctx.log, 'instance', inst.id, 'leased', to, { task: inst.task_id, device: inst.device_id })
      transition(this.ctx.log, 'task', inst.task_id, 'leased', 'ready', { reason: to })
      // Devices leaving is not the task's fault; failures and lapses are.
      if (to !== 'abandoned') await failJobIfExhausted(this.ctx, inst.task_id)
    }
    return changed
  }
}
