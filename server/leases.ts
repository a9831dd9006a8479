/**
 * Leases: every assignment has a deadline.
 *
 * Reads:  instances in state leased.
 * Writes: instances leased=>expired (deadline passed), leased=>abandoned (device left,
 *         or the coordinator restarted); their tasks leased=>ready.
 * Wakes:  the dispatcher (tasks:ready).
 */
import type { Ctx } from './context'
import { transition } from './log'
import { failJobIfExhausted } from './task-attempts'
import type { Registry } from './registry'
import { recordTrust } from './trust'

export class Leases {
  private timer: NodeJS.Timeout | null = null

  constructor(
    private ctx: Ctx,
    private registry: Registry,
  ) {}

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.expire().catch((e) => this.ctx.log.error({ err: e }, 'lease sweep failed')), intervalMs)
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
        if (s && s.busy === inst.id) {
          s.busy = null
          s.link.cancel(inst.id, 'lease expired')
        }
      }
    }
    if (late.length) this.ctx.bus.emit('tasks:ready')
    return late.length
  }

  /** A device disconnected: everything it held goes back to the queue. */
  async releaseDevice(deviceId: string): Promise<number> {
    const held = await this.ctx.db.selectFrom('instances').select(['id', 'task_id', 'device_id']).where('state', '=', 'leased').where('device_id', '=', deviceId).execute()
    let n = 0
    for (const inst of held) if (await this.free(inst, 'abandoned')) n++
    if (n) this.ctx.bus.emit('tasks:ready')
    return n
  }

  /** A device gave up one task (it failed on its side): back to the queue. */
  async releaseInstance(instanceId: number, deviceId: string, reason: string): Promise<boolean> {
    const inst = await this.ctx.db.selectFrom('instances').select(['id', 'task_id', 'device_id']).where('id', '=', instanceId).where('device_id', '=', deviceId).where('state', '=', 'leased').executeTakeFirst()
    if (!inst) return false
    const ok = await this.free(inst, 'failed', reason)
    if (ok) this.ctx.bus.emit('tasks:ready')
    return ok
  }

  /** On start no device is connected yet, so no lease can still be honoured. */
  async recoverAfterRestart(): Promise<number> {
    const held = await this.ctx.db.selectFrom('instances').select(['id', 'task_id', 'device_id']).where('state', '=', 'leased').execute()
    let n = 0
    for (const inst of held) if (await this.free(inst, 'abandoned')) n++
    // A task left leased without a live instance (crash between the two writes) is ready again.
    const orphans = await this.ctx.db
      .updateTable('tasks')
      .set({ state: 'ready', updated_at: this.ctx.now() })
      .where('state', '=', 'leased')
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('instances').select('instances.id').whereRef('instances.task_id', '=', 'tasks.id').where('instances.state', '=', 'leased'))),
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
