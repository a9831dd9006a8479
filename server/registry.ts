/**
 * The devices connected to this coordinator right now (in memory: a connection is a
 * live socket, which no database row can hold). Everything durable about a device is
 * in the `devices` table.
 */
import type { DeviceProfile, DeviceStats, Task } from '../lib/protocol'

export type DeviceLink = {
  /** Sends tasks just leased to the device: one `task:batch` when its hello said `batch`, else a `task:assign` each. */
  assign(tasks: Task[]): void
  cancel(instanceId: number, reason: string): void
  stats(s: DeviceStats): void
}

export type DeviceSession = {
  id: string
  name: string
  profile: DeviceProfile
  gflops: number
  connectedAt: number
  /** The leases (instance ids) the device holds now: given to it, not yet answered, lapsed or cancelled. */
  leases: Set<number>
  /** Most leases it may hold at once: its hello's `slots`, capped at NIMBLE_DEVICE_MAX_TASKS. */
  slots: number
  /** Consecutive failed or rejected tasks; a device that keeps failing waits before it gets more. */
  failures: number
  /** Epoch ms before which the device is given no task (backoff after failures). */
  coolUntil: number
  /** GFLOP/s seen by the coordinator on completed tasks (replaces the benchmark in `gflops`). */
  observed?: number
  /** The device's own benchmark on its backend (GFLOP/s), at full use. */
  bench: number
  /**
   * Fraction of the time the device computes (the contributor's throttle; 1 = all of it).
   * `gflops` is the effective speed: the benchmark, or what was observed, at this duty.
   */
  duty: number
  /**
   * Recent completed tasks, smoothed: lease-to-result time as the coordinator saw it and the
   * task's FLOPs. Their ratio is the device's effective time per FLOP on the work Nimble
   * really sends it (transfers and set-up included), which the benchmark alone misjudges.
   */
  recent?: { ms: number; flops: number }
  /**
   * Blobs this device has fetched for the tasks it was given (most recent last, at most
   * CACHED_BLOBS): the scheduler counts no transfer time for them, so work stays where its
   * data already is. An approximation of the device's own cache, which evicts by size.
   */
  cached: Set<string>
  /** Round-trip time the coordinator measured (ack of a ping), ms. */
  rttMs?: number
  /** Download bandwidth in bytes/s from the device's timed blob fetch (placement only, never credit). */
  bandwidth?: number
  link: DeviceLink
}

const CACHED_BLOBS = 64

/** The device may take one more task. */
export function hasRoom(s: Pick<DeviceSession, 'leases' | 'slots'>): boolean {
  return s.leases.size < s.slots
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
  /** Tells the devices holding these leases (connected here) to drop them. Returns how many were held. */
  cancel(leases: { instanceId: number; deviceId: string }[], reason: string): number {
    let n = 0
    for (const l of leases) {
      const s = this.sessions.get(l.deviceId)
      if (s?.leases.delete(l.instanceId)) {
        s.link.cancel(l.instanceId, reason)
        n++
      }
    }
    return n
  }
  /** Whether `s` is still connected (not gone, nor replaced by a new connection of its device). */
  current(s: DeviceSession): boolean {
    return this.sessions.get(s.id) === s
  }
  all(): DeviceSession[] {
    return [...this.sessions.values()]
  }
  /** Connected, with a free task slot, and not cooling down after a failure. */
  idle(now = Date.now()): DeviceSession[] {
    return this.all().filter((s) => hasRoom(s) && s.coolUntil <= now)
  }

  /**
   * Observed speed replaces the self-reported benchmark as tasks complete: FLOPs of the task
   * over the time the coordinator itself saw between lease and result (transfers included),
   * smoothed. Only tasks big enough to measure (≥ 50 ms) count.
   */
  observe(id: string, flops: number, ms: number): void {
    const s = this.sessions.get(id)
    if (!s || flops <= 0 || ms <= 0) return
    s.recent = s.recent === undefined ? { ms, flops } : { ms: 0.6 * s.recent.ms + 0.4 * ms, flops: 0.6 * s.recent.flops + 0.4 * flops }
    if (ms < 50) return
    const gflops = flops / (ms / 1000) / 1e9
    s.observed = s.observed === undefined ? gflops : 0.5 * s.observed + 0.5 * gflops
    s.gflops = s.observed
  }

  /**
   * Expected lease-to-result time of a task of `flops` on this device: its recent tasks'
   * time scaled by size, or the scheduler's figure (at the benchmark) while nothing has
   * been measured.
   */
  expectedMs(id: string, flops: number, fallbackMs: number): number {
    const s = this.sessions.get(id)
    if (!s?.recent) return Number.isFinite(fallbackMs) ? fallbackMs : 0
    return (s.recent.ms * flops) / s.recent.flops
  }

  /**
   * The contributor changed how much of the device to use: the effective speed scales with
   * the duty at once (a measured speed too, since it was measured at the old duty), so the
   * scheduler and the shard planner stop expecting the old pace.
   */
  setDuty(id: string, duty: number): void {
    const s = this.sessions.get(id)
    if (!s || !(duty > 0) || duty > 1 || duty === s.duty) return
    const ratio = duty / s.duty
    s.duty = duty
    if (s.observed !== undefined) s.observed *= ratio
    if (s.recent) s.recent = { ms: s.recent.ms / ratio, flops: s.recent.flops }
    s.gflops = s.observed ?? s.bench * duty
  }

  /** The device is about to fetch these blobs. */
  holds(id: string, hashes: string[]): void {
    const s = this.sessions.get(id)
    if (!s) return
    for (const h of hashes) {
      s.cached.delete(h)
      s.cached.add(h)
    }
    while (s.cached.size > CACHED_BLOBS) s.cached.delete(s.cached.values().next().value!)
  }

  /** Records a failure or success and sets the backoff: 1 s, 2 s, 4 s … up to a minute. */
  outcome(id: string, ok: boolean, now = Date.now()): void {
    const s = this.sessions.get(id)
    if (!s) return
    s.failures = ok ? 0 : s.failures + 1
    s.coolUntil = ok ? 0 : now + Math.min(60_000, 1000 * 2 ** (s.failures - 1))
  }
  get size(): number {
    return this.sessions.size
  }
}
