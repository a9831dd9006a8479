/**
 * One donation, from "Donate GPU" to "Stop": owns the compute worker and the /devices socket
 * and relays between them. The worker benchmarks and picks a backend; then the socket joins
 * with `device:hello`, takes `task:assign`, and returns results (weights as a binary attachment).
 *
 * A dropped connection drops the in-flight task: the coordinator frees the leases of a
 * disconnected device, so a late result would only be refused as stale.
 *
 * Throttle: with a duty cycle d < 1 the page rests elapsed × (1 − d) / d after each task
 * before running the next, so the device computes about d of the time (never past the
 * task's lease deadline). The duty goes to the coordinator (in the hello, then `device:duty` on
 * each change), which scales the device's speed by it. Pause leaves the network (the coordinator re-leases what we held)
 * until resume, so a paused device costs nothing and blocks no job.
 */
import { measureBandwidth } from '@/lib/net/bandwidth'
import { io, type Socket } from 'socket.io-client'
import {
  DEVICE_NAMESPACE,
  DeviceStats,
  Task,
  type DeviceClientToServer,
  type DeviceServerToClient,
  type FromWorker,
} from '@/lib/protocol'
import { createComputeWorker, type ComputeWorker } from './compute-worker'
import { buildHello, saveDeviceId } from './device-hello'
import { taskLabel, type BackendChoice, type DonationAction, type ReadyInfo } from './donation-state'

type DeviceSocket = Socket<DeviceServerToClient, DeviceClientToServer>

const PROGRESS_INTERVAL_MS = 500
const HELLO_TIMEOUT_MS = 15_000
const RESULT_TIMEOUT_MS = 120_000

export class DonationSession {
  private worker: ComputeWorker | null = null
  private socket: DeviceSocket | null = null
  private ready: ReadyInfo | null = null
  private bandwidth: number | undefined
  /** Leases this device holds, by instanceId. */
  private tasks = new Map<number, Task>()
  private lastProgress = new Map<number, number>()
  private stopped = false
  private paused: string | null = null
  private duty = 1
  private restUntil = 0
  private lastElapsedMs = 0
  private restTimers = new Set<ReturnType<typeof setTimeout>>()

  constructor(
    private readonly dispatch: (action: DonationAction) => void,
    private readonly choice: BackendChoice,
  ) {}

  start(): void {
    this.dispatch({ type: 'start' })
    window.addEventListener('pagehide', this.onPageHide)
    this.log(`Starting the compute worker (backend: ${this.choice === 'auto' ? 'fastest available' : this.choice}).`)
    try {
      this.worker = createComputeWorker({
        onMessage: (m) => this.onWorkerMessage(m),
        onCrash: (message) => this.fail(`The compute worker crashed: ${message}`),
      })
    } catch (e) {
      this.fail(`Could not start the compute worker: ${e instanceof Error ? e.message : String(e)}`)
      return
    }
    this.worker.post({ type: 'init', wasmPath: '/tfjs-wasm/', ...(this.choice === 'auto' ? {} : { force: this.choice }) })
  }

  /** Terminate the worker and leave the network; the coordinator frees whatever we held. */
  stop(reason = 'Stopped.'): void {
    if (this.stopped) return
    this.stopped = true
    window.removeEventListener('pagehide', this.onPageHide)
    this.socket?.disconnect()
    this.socket?.removeAllListeners()
    this.socket?.io.removeAllListeners()
    this.socket = null
    this.worker?.terminate()
    this.worker = null
    this.tasks.clear()
    for (const t of this.restTimers) clearTimeout(t)
    this.restTimers.clear()
    this.dispatch({ type: 'stopped' })
    this.log(reason)
  }

  private onPageHide = () => this.stop('Page closed.')

  /** Fraction of the time to compute, 0.1..1. */
  setDuty(duty: number): void {
    const d = Math.min(1, Math.max(0.1, duty))
    if (d === this.duty) return
    this.duty = d
    this.log(d === 1 ? 'Using all of this device.' : `Using about ${Math.round(d * 100)}% of this device: resting between tasks.`)
    // The scheduler sizes work by speed: tell it the device is now this much slower (or faster).
    // Before the hello it goes in the profile; a reconnect's hello carries the current duty too.
    if (this.socket?.connected) this.socket.emit('device:duty', { duty: d })
  }

  /** Leave the network until `resume`; `reason` is shown ("tab hidden", "on battery"). */
  pause(reason: string): void {
    if (this.stopped || this.paused) return
    this.paused = reason
    this.dropInFlight(`paused (${reason})`)
    this.socket?.disconnect()
    this.dispatch({ type: 'connection', connection: 'paused' })
    this.dispatch({ type: 'status', message: `Paused: ${reason}.` })
    this.log(`Paused: ${reason}.`)
  }

  resume(): void {
    if (this.stopped || !this.paused) return
    this.paused = null
    this.log('Resumed.')
    if (this.socket) {
      this.dispatch({ type: 'connection', connection: 'connecting' })
      this.socket.connect()
    } else if (this.ready) this.connect()
    if (this.ready) this.dispatch({ type: 'status', message: `Ready on ${this.ready.backend}.` })
  }

  private log(text: string, level: 'info' | 'error' = 'info') {
    this.dispatch({ type: 'log', text, level, at: Date.now() })
  }

  private fail(message: string) {
    this.dispatch({ type: 'error', message })
    this.log(message, 'error')
    this.stop('Stopped after an error.')
  }

  // ---------- worker -> page ----------

  private onWorkerMessage(m: FromWorker) {
    if (this.stopped) return
    switch (m.type) {
      case 'status':
        this.dispatch({ type: 'status', message: m.message })
        this.log(m.message)
        return
      case 'ready': {
        const { type: _type, ...info } = m
        this.ready = info
        this.dispatch({ type: 'ready', info })
        this.log(`Ready: using ${m.backend}.`)
        if (!this.socket) {
          // The download speed helps the coordinator place transfer-heavy tasks.
          void measureBandwidth(window.location.origin).then((bw) => {
            this.bandwidth = bw
            if (bw) this.log(`Download bandwidth: ${(bw / 1e6).toFixed(1)} MB/s.`)
            if (!this.socket && !this.stopped && !this.paused) this.connect()
          })
        }
        return
      }
      case 'progress':
        return this.onProgress(m.instanceId, m.fraction, m.loss)
      case 'result':
        return this.onResult(m)
      case 'failed':
        return this.onFailed(m.instanceId, m.message, m.outOfMemory)
      case 'fatal':
        return this.fail(m.message)
    }
  }

  private onProgress(instanceId: number, fraction: number, loss: number | null) {
    if (!this.tasks.has(instanceId)) return
    const f = Math.min(1, Math.max(0, fraction))
    const l = loss !== null && Number.isFinite(loss) ? loss : null
    this.dispatch({ type: 'task-progress', instanceId, fraction: f, loss: l })
    const now = Date.now()
    if (now - (this.lastProgress.get(instanceId) ?? 0) < PROGRESS_INTERVAL_MS && f < 1) return
    this.lastProgress.set(instanceId, now)
    // volatile: a progress report is worthless once late, so never buffer it across a reconnect.
    this.socket?.volatile.emit('task:progress', { instanceId, fraction: f, loss: l })
  }

  private onResult(m: Extract<FromWorker, { type: 'result' }>) {
    if (!this.release(m.instanceId)) {
      this.log(`Discarded the result of task ${m.taskId}: it is no longer assigned to this device.`)
      return
    }
    const socket = this.socket
    if (!socket?.connected) {
      this.log(`Discarded the result of task ${m.taskId}: not connected.`, 'error')
      return
    }
    const meta = { instanceId: m.instanceId, taskId: m.taskId, loss: m.loss, elapsedMs: Math.max(0, m.elapsedMs), backend: m.backend }
    this.lastElapsedMs = meta.elapsedMs
    this.restUntil = Date.now() + (meta.elapsedMs * (1 - this.duty)) / this.duty
    this.log(`Task ${m.taskId} finished in ${(m.elapsedMs / 1000).toFixed(1)} s; sending the result.`)
    socket.timeout(RESULT_TIMEOUT_MS).emit('task:result', meta, m.weights, (err, res) => {
      if (this.stopped) return
      if (err) return this.log(`The coordinator did not confirm task ${m.taskId}.`, 'error')
      if (res.ok) {
        this.dispatch({ type: 'task-done' })
        this.log(`Task ${m.taskId} accepted.`)
      } else {
        this.dispatch({ type: 'error', message: `Result for task ${m.taskId} was refused: ${res.error.message}` })
        this.log(`Task ${m.taskId} refused (${res.error.code}): ${res.error.message}`, 'error')
      }
    })
  }

  private onFailed(instanceId: number, message: string, outOfMemory?: boolean) {
    if (!this.release(instanceId)) return
    this.socket?.emit('task:failed', { instanceId, message: message.slice(0, 2000), ...(outOfMemory ? { outOfMemory } : {}) })
    this.log(outOfMemory ? `The GPU ran out of memory on a task; the coordinator will send smaller ones. (${message})` : `Task failed: ${message}`, 'error')
  }

  /** Forget a lease; true if we held it. */
  private release(instanceId: number): boolean {
    const held = this.tasks.delete(instanceId)
    this.lastProgress.delete(instanceId)
    if (held) this.dispatch({ type: 'task-end', instanceId })
    return held
  }

  private dropInFlight(why: string) {
    if (this.tasks.size === 0) return
    for (const instanceId of this.tasks.keys()) this.worker?.post({ type: 'cancel', instanceId })
    this.tasks.clear()
    this.lastProgress.clear()
    this.dispatch({ type: 'task-drop' })
    this.log(`Dropped the task in progress: ${why}.`)
  }

  // ---------- socket ----------

  private connect() {
    // Own manager: a page's /live socket closing (client-side navigation) must not take this one with it.
    const socket: DeviceSocket = io(DEVICE_NAMESPACE, { transports: ['websocket'], forceNew: true })
    this.socket = socket
    this.dispatch({ type: 'connection', connection: 'connecting' })

    socket.on('connect', () => {
      this.dispatch({ type: 'connection', connection: 'connected' })
      this.hello(socket)
    })
    socket.on('disconnect', (reason) => {
      if (this.stopped || this.paused) return
      this.dropInFlight('the connection was lost')
      if (socket.active) {
        this.dispatch({ type: 'connection', connection: 'reconnecting' })
        this.log(`Disconnected (${reason}); reconnecting…`, 'error')
      } else {
        // The coordinator closed the connection on purpose; it said why in device:error.
        this.dispatch({ type: 'connection', connection: 'stopped' })
        this.log(`The coordinator closed the connection (${reason}).`, 'error')
      }
    })
    socket.on('connect_error', (err) => {
      if (this.stopped) return
      if (socket.active) {
        this.dispatch({ type: 'connection', connection: 'reconnecting' })
        this.log(`Cannot reach the coordinator (${err.message}); retrying…`, 'error')
      } else {
        this.dispatch({ type: 'connection', connection: 'stopped' })
        this.dispatch({ type: 'error', message: `The coordinator refused the connection: ${err.message}` })
      }
    })
    socket.on('task:assign', (raw) => this.onAssign(raw))
    socket.on('task:cancel', (c) => {
      if (!this.tasks.has(c.instanceId)) return
      this.worker?.post({ type: 'cancel', instanceId: c.instanceId })
      this.release(c.instanceId)
      this.log(`The coordinator cancelled task instance ${c.instanceId}: ${c.reason}`)
    })
    socket.on('device:stats', (s) => {
      const parsed = DeviceStats.safeParse(s)
      if (parsed.success) {
        this.dispatch({ type: 'stats', stats: parsed.data })
      }
    })
    socket.on('device:ping', (sentAt, ack) => {
      if (typeof ack === 'function') ack(sentAt)
    })
    socket.on('device:error', (e) => {
      const message = typeof e?.message === 'string' ? e.message : 'The coordinator reported an error.'
      this.dispatch({ type: 'error', message })
      this.log(`Coordinator: ${message}`, 'error')
    })
  }

  private hello(socket: DeviceSocket) {
    if (!this.ready) return
    const duty = this.duty
    socket.timeout(HELLO_TIMEOUT_MS).emit('device:hello', buildHello(this.ready, this.bandwidth, duty), (err, res) => {
      if (this.stopped || socket !== this.socket) return
      if (err) return this.log('The coordinator did not answer our hello; it will be re-sent on reconnect.', 'error')
      if (!res.ok) {
        this.dispatch({ type: 'error', message: res.error.message })
        this.log(`Joining was refused (${res.error.code}): ${res.error.message}`, 'error')
        if (res.error.code === 'protocol_mismatch') this.stop('Stopped: this page is out of date. Reload it to get the current version.')
        return
      }
      saveDeviceId(res.deviceId)
      // The throttle moved while the hello was on its way (the coordinator ignores device:duty before it).
      if (this.duty !== duty) socket.emit('device:duty', { duty: this.duty })
      this.dispatch({ type: 'device', deviceId: res.deviceId })
      this.dispatch({ type: 'error', message: null })
      this.log(`Joined the network as device ${res.deviceId}. Waiting for work…`)
    })
  }

  private onAssign(raw: unknown) {
    if (this.stopped) return
    const parsed = Task.safeParse(raw)
    if (!parsed.success) {
      const instanceId = (raw as { instanceId?: unknown } | null)?.instanceId
      this.log('Received a task this page cannot read; refused it.', 'error')
      if (typeof instanceId === 'number' && Number.isInteger(instanceId) && instanceId > 0) {
        this.socket?.emit('task:failed', { instanceId, message: `Task did not match the protocol: ${parsed.error.message}`.slice(0, 2000) })
      }
      return
    }
    const task = parsed.data
    if (this.tasks.has(task.instanceId)) return
    this.tasks.set(task.instanceId, task)
    this.dispatch({ type: 'task-start', task })
    this.log(`${task.kind === 'train' ? 'Training' : 'Inference'} for job ${task.jobId}: ${taskLabel(task)} (${task.rows} rows).`)
    const now = Date.now()
    // Rest for the throttle, but leave twice the last task's time before the lease deadline.
    const rest = Math.min(this.restUntil - now, task.deadline - now - 2 * this.lastElapsedMs)
    if (rest < 50) return this.worker?.post({ type: 'run', task, origin: location.origin })
    this.log(`Resting ${(rest / 1000).toFixed(1)} s before it (using ${Math.round(this.duty * 100)}% of this device).`)
    const timer = setTimeout(() => {
      this.restTimers.delete(timer)
      if (!this.stopped && this.tasks.has(task.instanceId)) this.worker?.post({ type: 'run', task, origin: location.origin })
    }, rest)
    this.restTimers.add(timer)
  }
}
