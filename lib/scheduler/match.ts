/**
 * Matching policy (pure): which ready task goes to which idle device.
 * Tasks are taken in priority order (oldest first); each goes to the fastest idle
 * device whose memory budget holds it. A task no device can hold stays queued.
 */
import { fitRule, misfit } from './fit'
import type { DeviceClass } from './pricing'

export type DeviceSlot = {
  id: string
  gflops: number
  memoryBudget: number
  backend?: string
  /** Measured bytes/s to this device (assign adds bytes/bandwidth to the expected time). */
  bandwidth?: number
  /** Price class override; otherwise classified from backend and gflops (see pricing.ts). */
  class?: DeviceClass
  /** Hashes of the blobs the device already holds (assign: their bytes cost no transfer time). */
  cached?: ReadonlySet<string>
}
/** A content-addressed input a task downloads unless the device holds it. */
export type BlobNeed = { hash: string; bytes: number }
export type TaskNeed = {
  id: number
  memoryBytes: number
  flops: number
  /** Devices that already failed this task: used only when no other connected device could take it. */
  avoid?: string[]
  /** Backends that can run it (all when absent). */
  backends?: string[]
  /** A device that already holds what the task needs (a pipeline stage's weights): it gets the task when idle. */
  prefer?: string
  /** Bytes to move to the device (inputs, weights not already cached). */
  bytes?: number
  /** Blobs it reads (assign: a device lacking some adds their bytes over its bandwidth). */
  blobs?: BlobNeed[]
  /** Epoch ms by which the result should be back (assign). */
  deadline?: number
  /** Higher is served first when there are more tasks than devices (assign; default 0). */
  priority?: number
  /** Fair share is between jobs (falling back to owner) (assign). */
  jobId?: string | number
  owner?: string
  /** Epoch ms the task became ready; older first among equals (assign; falls back to id). */
  createdAt?: number
}
export type Assignment = { taskId: number; deviceId: string; expectedMs: number; cost?: number; late?: boolean }

export function matchTasks(devices: DeviceSlot[], tasks: TaskNeed[], fleet: string[] = devices.map((d) => d.id)): Assignment[] {
  const free = [...devices].sort((a, b) => b.gflops - a.gflops || a.id.localeCompare(b.id))
  const fleetSet = new Set(fleet)
  const out: Assignment[] = []
  for (const t of tasks) {
    if (free.length === 0) break
    const avoid = new Set(t.avoid ?? [])
    // Another connected device (idle or not) could take it later: keep it off the ones that failed it.
    const strict = fleet.some((id) => !avoid.has(id))
    const fits = (d: DeviceSlot) =>
      (d.memoryBudget === 0 || d.memoryBudget >= t.memoryBytes) && !(strict && avoid.has(d.id)) && (!t.backends || !d.backend || t.backends.includes(d.backend))
    let i: number
    if (t.prefer && fleet.includes(t.prefer) && !avoid.has(t.prefer)) {
      // Its device is connected: wait for it rather than move the stage's weights elsewhere.
      i = free.findIndex((d) => d.id === t.prefer && fits(d))
    } else {
      i = free.findIndex(fits)
    }
    if (i < 0) continue
    const d = free.splice(i, 1)[0]
    out.push({ taskId: t.id, deviceId: d.id, expectedMs: d.gflops > 0 ? (t.flops / (d.gflops * 1e9)) * 1000 : Infinity })
  }
  return out
}
