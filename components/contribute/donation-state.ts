/** Everything the contribute page shows, as one reducer the donation session drives. Pure. */
import type { Backend, DeviceStats, FromWorker, Task } from '@/lib/protocol'

export type BackendChoice = 'auto' | Backend
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'wasm', 'cpu']

export type Connection = 'connecting' | 'connected' | 'reconnecting' | 'paused' | 'stopped'
export type Phase = 'idle' | 'starting' | 'ready' | 'stopped'
export type ReadyInfo = Omit<Extract<FromWorker, { type: 'ready' }>, 'type'>

export type ActiveTask = {
  instanceId: number
  taskId: number
  jobId: string
  kind: Task['kind']
  /** What the task covers, for people: "training round 2 · shard 0", "inference · shard 1", "stage 2/4 · micro-batch 3". */
  label: string
  rows: number
  fraction: number
  loss: number | null
}

export type LogEntry = { id: number; at: number; text: string; level: 'info' | 'error' }

export type DonationState = {
  phase: Phase
  connection: Connection
  status: string | null
  ready: ReadyInfo | null
  deviceId: string | null
  task: ActiveTask | null
  /** Results the coordinator acknowledged in this page session. */
  tasksDone: number
  /** The coordinator's own verified counts (`device:stats`). */
  stats: DeviceStats | null
  error: string | null
  log: LogEntry[]
}

export type DonationAction =
  | { type: 'start' }
  | { type: 'status'; message: string }
  | { type: 'ready'; info: ReadyInfo }
  | { type: 'connection'; connection: Connection }
  | { type: 'device'; deviceId: string }
  | { type: 'task-start'; task: Task }
  | { type: 'task-progress'; instanceId: number; fraction: number; loss: number | null }
  | { type: 'task-end'; instanceId: number }
  | { type: 'task-drop' }
  | { type: 'task-done' }
  | { type: 'stats'; stats: DeviceStats }
  | { type: 'error'; message: string | null }
  | { type: 'log'; text: string; level?: 'info' | 'error'; at: number }
  | { type: 'stopped' }

const LOG_LIMIT = 80

export const initialDonationState: DonationState = {
  phase: 'idle',
  connection: 'stopped',
  status: null,
  ready: null,
  deviceId: null,
  task: null,
  tasksDone: 0,
  stats: null,
  error: null,
  log: [],
}

export function donationReducer(state: DonationState, action: DonationAction): DonationState {
  switch (action.type) {
    case 'start':
      return { ...state, phase: 'starting', connection: 'stopped', status: 'Starting the compute worker…', ready: null, task: null, error: null }
    case 'status':
      return { ...state, status: action.message }
    case 'ready':
      return { ...state, phase: 'ready', ready: action.info, status: `Ready on ${action.info.backend}.` }
    case 'connection':
      return { ...state, connection: action.connection }
    case 'device':
      return { ...state, deviceId: action.deviceId }
    case 'task-start': {
      const t = action.task
      return {
        ...state,
        task: {
          instanceId: t.instanceId,
          taskId: t.taskId,
          jobId: t.jobId,
          kind: t.kind,
          label: taskLabel(t),
          rows: t.rows,
          fraction: 0,
          loss: null,
        },
      }
    }
    case 'task-progress':
      if (state.task?.instanceId !== action.instanceId) return state
      return { ...state, task: { ...state.task, fraction: action.fraction, loss: action.loss ?? state.task.loss } }
    case 'task-end':
      return state.task?.instanceId === action.instanceId ? { ...state, task: null } : state
    case 'task-drop':
      return { ...state, task: null }
    case 'task-done':
      return { ...state, tasksDone: state.tasksDone + 1 }
    case 'stats':
      return { ...state, stats: action.stats }
    case 'error':
      return { ...state, error: action.message }
    case 'log': {
      const id = (state.log[0]?.id ?? 0) + 1
      return { ...state, log: [{ id, at: action.at, text: action.text, level: action.level ?? 'info' }, ...state.log].slice(0, LOG_LIMIT) }
    }
    case 'stopped':
      return { ...state, phase: 'stopped', connection: 'stopped', task: null, status: 'Stopped. Nothing is running on this device.' }
  }
}

/** How the page names a task. Stages count from 1 (stage 1/4 … 4/4); shards and micro-batches from 0, as the coordinator does. */
export function taskLabel(task: Task): string {
  switch (task.kind) {
    case 'train':
      return `training round ${task.round} · shard ${task.shard}`
    case 'infer':
      return `inference · shard ${task.shard}`
    case 'stage':
      return `stage ${task.stage + 1}/${task.stages} · micro-batch ${task.microBatch}`
  }
}
