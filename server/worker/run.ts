/**
 * The headless worker: a Node process that joins a coordinator's /devices namespace like a
 * browser does and runs the same lib/compute executor.
 *
 * Connection: Socket.IO over websocket, reconnecting forever (the client's default, plus a
 * delayed rejoin after a server-side drop, which Socket.IO does not retry itself). Every
 * `connect` re-sends `device:hello` with the same device id; a disconnect drops the task in
 * flight, because the coordinator frees the leases of disconnected devices.
 * Tasks: one at a time. `task:assign` is parsed, its blobs fetched over HTTP and checked, run
 * (train: any template; infer: predictions; stage: one micro-batch through a pipeline segment,
 * kept loaded for the next), and answered with `task:result` (the weights or
 * the outputs as a binary attachment) or `task:failed`;
 * `task:cancel` aborts it. Every event is logged as one line.
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
  let current: { instanceId: number; controller: AbortController } | null = null
  let stopped = false
  const drop = (reason: string) => {
    if (current) current.controller.abort(new Error(reason))
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
      const changed = res.deviceId !== deviceId
      deviceId = res.deviceId
      log(`joined as ${deviceId}`)
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
    if (current?.instanceId === c.data.instanceId) current.controller.abort(new Error(`cancelled: ${c.data.reason}`))
  })
  socket.on('task:assign', (raw) => {
    void handleTask(raw)
  })

  async function handleTask(raw: unknown): Promise<void> {
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
    if (current) {
      log(`${label} refused: busy with instance ${current.instanceId}`)
      socket.emit('task:failed', { instanceId: task.instanceId, message: `busy with task instance ${current.instanceId}` })
      return
    }
    const mine = { instanceId: task.instanceId, controller: new AbortController() }
    current = mine
    const { signal } = mine.controller
    log(`${label} ${describeUnit(task)} assigned (${task.rows} rows, instance ${task.instanceId})`)
    let lastProgress = 0
    try {
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
    } finally {
      if (current === mine) current = null
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
