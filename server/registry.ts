/**
 * The devices connected to this coordinator right now (in memory: a connection is a
 * live socket, which no database row can hold). Everything durable about a device is
 * in the `devices` table.
 */
import type { DeviceProfile, Task } from '../lib/protocol'

export type DeviceLink = {
  assign(task: Task): void
  cancel(instanceId: number, reason: string): void
  stats(s: { tasksDone: number; tasksRejected: number }): void
}

export type DeviceSession = {
  id: string
  name: string
  profile: DeviceProfile
  gflops: number
  connectedAt: number
  /** The lease the device is working on, or null when idle. */
  busy: number | null
  link: DeviceLink
}

export class Registry {
  private sessions = new Map<string, DeviceSession>()

  add(s: DeviceSession): void {
    this.sessions.set(s.id, s)
  }
  remove(id: string, session?: DeviceSession): boolean {
    const cur = this.sessions.get(id)
    if (!cur || (session && cur !== session)) return false
    this.sessions.delete(id)
    return true
  }
  get(id: string): DeviceSession | undefined {
    return this.sessions.get(id)
  }
  all(): DeviceSession[] {
    return [...this.sessions.values()]
  }
  idle(): DeviceSession[] {
    return this.all().filter((s) => s.busy === null)
  }
  get size(): number {
    return this.sessions.size
  }
}
