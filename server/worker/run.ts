/**
 * The headless worker: a Node process that joins a coordinator's /devices namespace like a
 * browser does and runs the same lib/compute executor.
 *
 * Connection: Socket.IO over websocket, reconnecting forever (the client's default, plus a
 * delayed rejoin after a server-side drop, which Socket.IO does not retry itself). Every
 * `connect` re-sends `device:hello` with the same device id; a disconnect drops the task in
 * flight, because the coordinator frees the leases of disconnected devices.
 * Tasks: the worker asks for `slots` task slots in its hello (`--slots`, default 1) and holds
 * at most as many as the coordinator grants; held tasks wait in a local queue and run one at a
 * time (tfjs shares one backend), so a device with two slots has its next task at hand when
 * one finishes. An assignment beyond the granted slots is refused with task:failed. With more
 * than one slot the hello also says `batch`: the tasks a dispatch pass gives it come in one
 * `task:batch`, each then taken as a `task:assign`.
 * Each task: `task:assign` is parsed, its blobs fetched over HTTP and checked, run
 * (train: any template; infer: predictions; stage: one micro-batch through a pipeline segment,
 * kept loaded for the next), and answered with `task:result` (the weights or
 * the outputs as a binary attachment) or `task:failed`;
 * `task:cancel` aborts it (or drops it from the queue). Every event is logged as one line.
 */
import { OutOfMemoryError, webgpuDevice, withOomScope } from '../../lib/compute/oom'
import * as tf from '@tensorflow/tfjs'
import { measureBandwidth } from '../../lib/net/bandwidth'
import { availableParallelism } from 'node:os'
import { io, type Socket } from 'socket.io-client'
import { z } from 'zod'
import { describeTask, describeUnit, fetchBlob, runTask } from '../../lib/compute'
import { BlobCache } from '../../lib/compute/blob-cache'

/** Shards repeat from round to round: a device keeps what it fetched (content-addressed, so never stale). */
const blobCache = new BlobCache()
import {
  DEVICE_NAMESPACE,
  HelloAccepted,
  PROTOCOL_VERSION,
  Task,
  type BlobRef,
  type DeviceClientToServer,
  type DeviceHello,
  type DeviceServerToClient,
  type TaskResultMeta,
} from '../../lib/protocol'
import type { BackendChoice } from './args'
import { setupBackend, type BackendSetup } from './backends'
import { readDeviceId, writeDeviceId } from './id-file'
import { corrupt, FaultState, shortcut, slowDelayMs, staleWeights, type FaultKind } from './faults'

export type RunWorkerOptions = {
  server: string
  backend: BackendChoice
  name: string
  idFile?: string
  /** Payout address for rewards, sent in the hello. */
  address?: string
  /** One line per event; default writes to stderr. */
  log?: (line: string) => void
  fetch?: typeof fetch
  /** An already initialised backend: lets tests start several workers in one process. */
  setup?: BackendSetup
  /** Wait before rejoining after the coordinator dropped this socket (default 5 s). */
  rejoinDelayMs?: number
  /** Called when the coordinator refuses this worker for good (e.g. protocol mismatch). */
  onFatal?: (error: Error) => void
  /** Bytes this worker offers for weights and activations (`--memory`); default: the backend's budget. */
  memoryBudget?: number
  /** `--throttle`: behave like a device this many times slower. */
  throttle?: number
  /** Tests only: misbehave in this way (`--fault`, see faults.ts). */
  fault?: FaultKind
  /** `--slots`: tasks this worker asks to hold at once (default 1); they run one after another. */
  slots?: number
}

export type WorkerHandle = {
  readonly setup: BackendSetup
  deviceId(): string | undefined
  stop(): Promise<void>
}

type DeviceSocket = Socket<DeviceServerToClient, DeviceClientToServer>

const PROGRESS_INTERVAL_MS = 200
const ACK_TIMEOUT_MS = 30_000
const CancelMessage = z.object({ instanceId: z.number().int(), reason: z.string().max(2000) })
const DeviceErrorMessage = z.object({ code: z.string(), message: z.string() })

export async function runWorker(opts: RunWorkerOptions): Promise<WorkerHandle> {
  const write = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  let deviceId = opts.idFile ? await readDeviceId(opts.idFile, (m) => write(`worker ${opts.name} ${m}`)) : undefined
  const log = (msg: string) => write(`worker ${deviceId?.slice(0, 8) ?? opts.name} ${msg}`)

  const setup = opts.setup ?? (await setupBackend(opts.backend, log))
  log(`using ${setup.backend} (${setup.benchmarks.map((b) => `${b.backend} ${b.gflops} GFLOP/s`).join(', ')})`)
  log(`memory budget ${formatBytes(opts.memoryBudget ?? setup.memoryBudget)}${opts.memoryBudget === undefined ? ' (default)' : ''}`)

  const faults = opts.fault ? new FaultState(opts.fault) : null
  if (faults) log(`FAULT INJECTION: ${faults.kind} (for tests of verification)`)
  /** Tasks held (queued or running), by instance id; the coordinator counts each against a slot. */
  const held = new Map<number, { task: Task; controller: AbortController }>()
  const queue: number[] = []
  let running = false
  /** Slots the coordinator granted in its answer to the hello (one until it says otherwise). */
  let granted = 1
  let stopped = false
  /** Stops a held task (running or queued) and frees its slot at once: the coordinator has already freed it. */
  const release = (instanceId: number, reason: string) => {
    held.get(instanceId)?.controller.abort(new Error(reason))
    held.delete(instanceId)
    const i = queue.indexOf(instanceId)
    if (i >= 0) queue.splice(i, 1)
  }
  const drop = (reason: string) => {
    for (const id of [...held.keys()]) release(id, reason)
  }

  const bandwidth = await measureBandwidth(opts.server, opts.fetch ?? fetch)
  if (bandwidth) log(`download bandwidth ${(bandwidth / 1e6).toFixed(1)} MB/s`)
  const socket: DeviceSocket = io(`${opts.server}${DEVICE_NAMESPACE}`, { transports: ['websocket'] })

  socket.on('connect', () => {
    drop('reconnected: the coordinator freed the old lease')
    const hello: DeviceHello = {
      protocolVersion: PROTOCOL_VERSION,
      ...(deviceId ? { deviceId } : {}),
      name: opts.name,
      ...(opts.address ? { address: opts.address } : {}),
      ...(opts.slots && opts.slots > 1 ? { slots: opts.slots, batch: true } : {}),
      profile: {
        kind: 'headless',
        backend: setup.backend,
        benchmarks: setup.benchmarks.map((b) => ({ ...b, gflops: b.gflops / (opts.throttle ?? 1) })),
        adapter: setup.adapter,
        memoryBudget: opts.memoryBudget ?? setup.memoryBudget,
        userAgent: `nimble-worker node/${process.versions.node}`,
        hardwareConcurrency: Math.min(4096, availableParallelism()),
        ...(bandwidth ? { bandwidth } : {}),
      },
    }
    log(`connected to ${opts.server}, saying hello`)
    socket.timeout(ACK_TIMEOUT_MS).emit('device:hello', hello, (err, res) => {
      if (err) return log(`hello not acknowledged: ${err.message}`)
      if (!res.ok) {
        log(`hello refused: ${res.error.code}: ${res.error.message}`)
        if (res.error.code === 'protocol_mismatch') {
          void stop()
          opts.onFatal?.(new Error(`the coordinator speaks another protocol version: ${res.error.message}`))
        }
        return
      }
      const accepted = HelloAccepted.safeParse(res)
      if (!accepted.success) return log('the coordinator answered the hello with something malformed; waiting for a reconnect')
      const changed = accepted.data.deviceId !== deviceId
      deviceId = accepted.data.deviceId
      granted = Math.min(opts.slots ?? 1, accepted.data.slots ?? 1)
      log(`joined as ${deviceId} with ${granted} task slot${granted === 1 ? '' : 's'}`)
      if (accepted.data.notice) log(`coordinator notice: ${accepted.data.notice}`)
      if (changed && opts.idFile) writeDeviceId(opts.idFile, deviceId).catch((e) => log(`cannot save device id: ${(e as Error).message}`))
    })
  })

  socket.on('connect_error', (err) => {
    if (!stopped) log(`cannot reach ${opts.server} (${err.message}); retrying`)
  })
  socket.on('disconnect', (reason) => {
    log(`disconnected (${reason})`)
    drop(`disconnected (${reason})`)
    // Socket.IO reconnects by itself except after a server-side drop; retry those too, unhurried.
    if (reason === 'io server disconnect' && !stopped) {
      setTimeout(() => {
        if (!stopped && socket.disconnected) socket.connect()
      }, opts.rejoinDelayMs ?? 5000)
    }
  })
  socket.on('device:ping', (sentAt, ack) => {
    if (typeof ack === 'function') ack(sentAt)
  })
  socket.on('device:error', (raw) => {
    const e = DeviceErrorMessage.safeParse(raw)
    log(e.success ? `coordinator error ${e.data.code}: ${e.data.message}` : 'coordinator sent a malformed device:error')
  })
  socket.on('device:stats', (s) => log(`stats ${JSON.stringify(s).slice(0, 200)}`))
  socket.on('task:cancel', (raw) => {
    const c = CancelMessage.safeParse(raw)
    if (!c.success) return log('ignored a malformed task:cancel')
    const queued = queue.includes(c.data.instanceId)
    const h = held.get(c.data.instanceId)
    release(c.data.instanceId, `cancelled: ${c.data.reason}`)
    if (h && queued) log(`${describeTask(h.task)} dropped before it started: cancelled: ${c.data.reason}`)
  })
  socket.on('task:assign', handleTask)
  // Several tasks at once (asked for in the hello along with slots): each is taken as a task:assign.
  socket.on('task:batch', (raw: unknown) => {
    if (!Array.isArray(raw)) return log('ignored a malformed task:batch (not a list of tasks)')
    for (const t of raw) handleTask(t)
  })

  /** Takes an assignment into a free slot and starts the queue; refuses it when every slot is taken. */
  function handleTask(raw: unknown): void {
    const parsed = Task.safeParse(raw)
    if (!parsed.success) {
      const instanceId = (raw as { instanceId?: unknown })?.instanceId
      const why = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 1500)
      log(`ignored a malformed task: ${why}`)
      if (typeof instanceId === 'number' && Number.isInteger(instanceId) && instanceId > 0) socket.emit('task:failed', { instanceId, message: `malformed task: ${why}` })
      return
    }
    const task = parsed.data
    const label = describeTask(task)
    if (held.has(task.instanceId)) return log(`${label} assigned twice (instance ${task.instanceId}); ignored the repeat`)
    if (held.size >= granted) {
      const message = `holds ${held.size} task(s), all of its ${granted} task slot(s) (instances ${[...held.keys()].join(', ')})`
      log(`${label} refused: ${message}`)
      socket.emit('task:failed', { instanceId: task.instanceId, message })
      return
    }
    held.set(task.instanceId, { task, controller: new AbortController() })
    queue.push(task.instanceId)
    log(`${label} ${describeUnit(task)} assigned (${task.rows} rows, instance ${task.instanceId}${held.size > 1 ? `, ${held.size} of ${granted} slots` : ''})`)
    void pump()
  }

  /** Runs queued tasks one after another. */
  async function pump(): Promise<void> {
    if (running) return
    running = true
    try {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const h = held.get(id)
        if (!h) continue
        try {
          await runOne(h.task, h.controller.signal)
        } finally {
          if (held.get(id) === h) held.delete(id)
        }
      }
    } finally {
      running = false
    }
  }

  async function runOne(task: Task, signal: AbortSignal): Promise<void> {
    const label = describeTask(task)
    let lastProgress = 0
    try {
      signal.throwIfAborted()
      const blobOpts = { signal, fetch: opts.fetch }
      const fetchHonest = (ref: BlobRef) => blobCache.get(ref, () => fetchBlob(ref, opts.server, blobOpts))
      const fetchCached = faults ? async (ref: BlobRef) => staleWeights(faults, task, ref, await fetchHonest(ref)) : fetchHonest
      const lazy = faults && task.kind !== 'stage' ? shortcut(faults, task, { weights: await fetchHonest(task.weights) }) : null
      const device = setup.backend === 'webgpu' ? webgpuDevice(tf.backend()) : null
      const out = lazy ? { result: lazy, loss: null, elapsedMs: 1 } : await withOomScope(device, () => runTask(task, fetchCached, {
        signal,
        onProgress: (fraction, loss) => {
          const now = performance.now()
          if (fraction < 1 && now - lastProgress < PROGRESS_INTERVAL_MS) return
          lastProgress = now
          socket.emit('task:progress', { instanceId: task.instanceId, fraction: Math.min(1, fraction), loss })
        },
      }))
      if (opts.throttle && opts.throttle > 1) {
        await new Promise((resolve) => setTimeout(resolve, out.elapsedMs * (opts.throttle! - 1)))
        out.elapsedMs *= opts.throttle
      }
      if (faults) {
        out.result = corrupt(faults, task, out.result)
        faults.lastResult = out.result
        const wait = slowDelayMs(faults, task)
        if (wait) await new Promise((resolve) => {
          const t = setTimeout(resolve, wait)
          signal.addEventListener('abort', () => (clearTimeout(t), resolve(null)), { once: true })
        })
      }
      signal.throwIfAborted()
      const meta: TaskResultMeta = {
        instanceId: task.instanceId,
        taskId: task.taskId,
        loss: out.loss,
        elapsedMs: Math.min(86_400_000, Math.round(out.elapsedMs)),
        backend: setup.backend,
      }
      log(`${label} done in ${meta.elapsedMs}ms loss ${out.loss === null ? 'n/a' : out.loss.toFixed(4)}`)
      socket.timeout(ACK_TIMEOUT_MS).emit('task:result', meta, out.result, (err, res) => {
        if (err) log(`${label} result not acknowledged: ${err.message}`)
        else if (!res.ok) log(`${label} result refused: ${res.error.code}: ${res.error.message}`)
        else log(`${label} result accepted`)
      })
    } catch (e) {
      if (signal.aborted) {
        log(`${label} dropped: ${(signal.reason as Error)?.message ?? 'aborted'}`)
      } else {
        const message = (e instanceof Error ? e.message : String(e)).slice(0, 2000)
        log(`${label} failed: ${message}`)
        const outOfMemory = e instanceof OutOfMemoryError
        if (socket.connected) socket.emit('task:failed', { instanceId: task.instanceId, message, ...(outOfMemory ? { outOfMemory } : {}) })
      }
    }
  }

  async function stop(): Promise<void> {
    if (stopped) return
    stopped = true
    drop('worker stopping')
    socket.disconnect()
  }

  return { setup, deviceId: () => deviceId, stop }
}

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1 && n % 1024 === 0) {
    n /= 1024
    i++
  }
  return `${n} ${units[i]}`
}
