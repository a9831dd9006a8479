/**
 * The Socket.IO contract. Two namespaces:
 *   /devices  contributors' browsers and headless workers (compute)
 *   /live     dashboards watching a job, an owner's jobs list and the network (read-only;
 *             an API key in auth, or the session cookie of a wallet sign-in)
 * Every inbound payload is parsed with these schemas on the receiving end.
 */
import { z } from 'zod'
import { DeviceProfile, type DeviceDuty } from './device'
import { Task, TaskFailure, TaskProgress, TaskResultMeta } from './task'
import type { JobView, NetworkView, RoundPoint } from './api'
import type { ErrorCode } from './errors'

export const DEVICE_NAMESPACE = '/devices'
/** Most task slots a hello may ask for; each coordinator grants at most its own NIMBLE_DEVICE_MAX_TASKS. */
export const MAX_SLOTS = 64
export const LIVE_NAMESPACE = '/live'

export const DeviceHello = z.object({
  protocolVersion: z.number().int(),
  /** Returned by a previous hello; lets a device keep its identity across reconnects. */
  deviceId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/).optional(),
  name: z.string().min(1).max(80),
  profile: DeviceProfile,
  /** Payout address for rewards (a headless worker's --address); browsers link one with Sign-In with Ethereum instead. */
  address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an address is 0x followed by 40 hex digits').optional(),
  /** Tasks the device can hold at once (default 1); the coordinator grants at most its NIMBLE_DEVICE_MAX_TASKS. */
  slots: z.number().int().min(1).max(MAX_SLOTS).optional(),
  /**
   * The device takes several tasks in one `task:batch` message. Without it every task comes in
   * its own `task:assign`. Any device may return several results in one `task:results`.
   */
  batch: z.boolean().optional(),
})
export type DeviceHello = z.infer<typeof DeviceHello>

/** The coordinator's answer to an accepted hello: the device's id and how many tasks it may hold at once. */
export const HelloAccepted = z.object({
  ok: z.literal(true),
  deviceId: z.string().min(1).max(64),
  /** Task slots granted: the hello's `slots` capped at the coordinator's limit (absent from older coordinators: 1). */
  slots: z.number().int().min(1).max(MAX_SLOTS).optional(),
  /** Why fewer slots were granted than asked, naming the limit. */
  notice: z.string().max(500).optional(),
})
export type HelloAccepted = z.infer<typeof HelloAccepted>

/** What a device is told about its own work after each result. */
export const DeviceStats = z.object({
  /** Accepted (verified) results. */
  tasksDone: z.number().int().nonnegative(),
  /** Rejected results: malformed, untrained, or outvoted by replicas. */
  tasksRejected: z.number().int().nonnegative(),
  /** Results waiting for a replica to agree. */
  tasksPending: z.number().int().nonnegative().optional(),
  /** new: work is replicated; trusted: spot-checked; banned: refused. */
  trust: z.enum(['new', 'trusted', 'banned']).optional(),
})
export type DeviceStats = z.infer<typeof DeviceStats>

/** What became of one result of a `task:results` message, in its order. */
export type ResultOutcome = { ok: true } | { ok: false; error: { code: ErrorCode; message: string } }

/** The metadata of a `task:results` message: one per result, in the order of the binary attachments. */
export const TaskResultsMeta = z.array(TaskResultMeta).min(1).max(MAX_SLOTS)

export type Ack<T = object> = (res: ({ ok: true } & T) | { ok: false; error: { code: ErrorCode; message: string } }) => void

export interface DeviceClientToServer {
  'device:hello': (hello: DeviceHello, ack: Ack<{ deviceId: string; slots?: number; notice?: string }>) => void
  'task:progress': (p: TaskProgress) => void
  /** The weights travel as a binary attachment (tensor pack). */
  'task:result': (meta: TaskResultMeta, weights: ArrayBuffer, ack: Ack) => void
  /**
   * Several results at once (at most MAX_SLOTS): metadata and attachments pair up by position.
   * The ack carries one outcome per result, each as `task:result`'s ack would have been; a
   * malformed message is refused whole and the socket dropped.
   */
  'task:results': (metas: TaskResultMeta[], weights: ArrayBuffer[], ack: Ack<{ outcomes: ResultOutcome[] }>) => void
  'task:failed': (f: TaskFailure) => void
  /** The contributor changed the share of the device Nimble may use (DeviceDuty). */
  'device:duty': (d: DeviceDuty) => void
}

/** Every event a device may send, checked against the map both ways: the server drops any other. */
export const DEVICE_CLIENT_EVENTS = ['device:hello', 'task:progress', 'task:result', 'task:results', 'task:failed', 'device:duty'] as const satisfies readonly (keyof DeviceClientToServer)[]
type MissingDeviceEvent = Exclude<keyof DeviceClientToServer, (typeof DEVICE_CLIENT_EVENTS)[number]>
const everyDeviceEventListed: [MissingDeviceEvent] extends [never] ? true : MissingDeviceEvent = true
void everyDeviceEventListed

export interface DeviceServerToClient {
  'task:assign': (task: Task) => void
  /** Several tasks at once, to a device whose hello said `batch` (one dispatch pass's tasks for it). */
  'task:batch': (tasks: Task[]) => void
  'task:cancel': (c: { instanceId: number; reason: string }) => void
  /** Sent just before the coordinator drops a misbehaving socket. */
  'device:error': (e: { code: ErrorCode; message: string }) => void
  'device:stats': (s: DeviceStats) => void
  /** The coordinator times the ack to learn the round-trip time. */
  'device:ping': (sentAt: number, ack: (sentAt: number) => void) => void
}

export interface LiveClientToServer {
  'job:subscribe': (jobId: string, ack: Ack<{ job: JobView }>) => void
  'job:unsubscribe': (jobId: string) => void
  'network:subscribe': (ack: Ack<{ network: NetworkView }>) => void
  /** The caller's jobs (every job for the operator), newest first; then `jobs:update` on each change. */
  'jobs:subscribe': (ack: Ack<{ jobs: JobView[] }>) => void
}

export interface LiveServerToClient {
  'job:update': (job: JobView) => void
  'job:round': (p: { jobId: string; point: RoundPoint }) => void
  'network:update': (n: NetworkView) => void
  /** A job of the subscribed owner was created or changed (list view: the latest curve point only). */
  'jobs:update': (job: JobView) => void
}

export const JobIdParam = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)
