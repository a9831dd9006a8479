/**
 * The contributor's compute Web Worker (a dedicated module worker started by the
 * contribute page). Keeps tfjs off the page's main thread.
 *
 *   init   probe WebGPU, benchmark the backends (or only `force`), keep the fastest, post `ready`
 *   run    fetch the task's blobs, train (any template), infer, or run a pipeline stage's micro-batch
 *          (its segment stays loaded for the next one), post throttled `progress`, then `result`
 *          (the weights, or the outputs, transferred as `weights`) or `failed`
 *   cancel abort the running task
 *
 * Every inbound message is parsed with the protocol's zod schema; one task at a time;
 * nothing thrown here escapes: init failures become `fatal`, task failures `failed`.
 * tfjs is imported lazily in `init` so a broken bundle or backend is reported, not fatal to the page.
 */
import { FromWorker, ToWorker, type AdapterInfo, type Backend, type BenchmarkResult, type BlobRef, type Task } from '../lib/protocol'
import type { GpuAdapterLike } from '../lib/compute/device-profile'
import { BlobCache } from '../lib/compute/blob-cache'

/** Shards repeat from round to round: keep what was fetched (content-addressed, so never stale). */
const blobCache = new BlobCache(128 * 1024 * 1024)

type Compute = typeof import('../lib/compute')
type Ready = { backend: Backend; compute: Compute }
type Running = { instanceId: number; controller: AbortController }

const PROGRESS_INTERVAL_MS = 200
const scope = self as unknown as {
  postMessage(message: unknown, transfer?: Transferable[]): void
  addEventListener(type: string, listener: (ev: MessageEvent & PromiseRejectionEvent & ErrorEvent) => void): void
  location: { href: string }
}

let ready: Ready | null = null
let initializing: Promise<void> | null = null
let running: Running | null = null

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer)
}

function errorMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 2000)
}

scope.addEventListener('message', (ev) => {
  const parsed = ToWorker.safeParse(ev.data)
  if (!parsed.success) {
    post({ type: 'status', message: `ignored a malformed message: ${parsed.error.issues[0]?.message ?? 'invalid'}` })
    return
  }
  const msg = parsed.data
  if (msg.type === 'init') {
    if (ready) return post({ type: 'status', message: `already initialised on ${ready.backend}` })
    initializing ??= init(msg.wasmPath, msg.force).catch((e) => {
      initializing = null
      post({ type: 'fatal', message: `could not start the compute worker: ${errorMessage(e)}` })
    })
  } else if (msg.type === 'run') {
    void run(msg.task, msg.origin)
  } else if (running?.instanceId === msg.instanceId) {
    running.controller.abort(new Error('cancelled by the coordinator'))
  }
})

scope.addEventListener('unhandledrejection', (ev) => {
  post({ type: 'status', message: `unexpected error: ${errorMessage(ev.reason)}` })
})

async function init(wasmPath: string, force?: Backend): Promise<void> {
  post({ type: 'status', message: 'loading TensorFlow.js' })
  const tf = await import('@tensorflow/tfjs')
  tf.env().set('PROD', true)
  const wasm = await import('@tensorflow/tfjs-backend-wasm')
  const prefix = new URL(wasmPath.endsWith('/') ? wasmPath : `${wasmPath}/`, scope.location.href).href
  wasm.setWasmPaths(prefix)

  const adapter = await probeWebGpu()
  post({ type: 'status', message: adapter ? `WebGPU adapter: ${adapter.vendor} ${adapter.architecture}${adapter.isFallbackAdapter ? ' (software fallback)' : ''}` : 'WebGPU is not available' })
  if (adapter) await import('@tensorflow/tfjs-backend-webgpu') // registers 'webgpu' only when navigator.gpu exists
  const compute = await import('../lib/compute')

  const candidates: Backend[] = force ? [force] : [...(adapter ? (['webgpu'] as const) : []), 'wasm', 'cpu']
  const benchmarks: BenchmarkResult[] = []
  for (const backend of candidates) {
    post({ type: 'status', message: `benchmarking ${backend}${backend === 'webgpu' ? ' (the first run compiles shaders and may take several seconds)' : ''}` })
    const result = await compute.benchmarkMatMul({ backend })
    benchmarks.push(result)
    post({ type: 'status', message: result.error ? `${backend} unavailable: ${result.error}` : `${backend}: ${result.gflops.toFixed(2)} GFLOP/s at ${result.size}x${result.size}` })
  }
  const backend = compute.pickBackend(benchmarks, force)
  if (!backend) throw new Error(force ? `the ${force} backend failed: ${benchmarks[0]?.error ?? 'unknown error'}` : 'no tfjs backend works in this browser')
  if (!(await tf.setBackend(backend))) throw new Error(`could not switch to the ${backend} backend`)
  await tf.ready()
  ready = { backend, compute }
  post({ type: 'ready', backend, adapter, benchmarks, memoryBudget: compute.memoryBudget(backend, backend === 'webgpu' ? adapter : null) })
}

async function probeWebGpu(): Promise<AdapterInfo | null> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu
  if (!gpu) return null
  try {
    const adapter = await gpu.requestAdapter()
    if (!adapter) return null
    const { describeAdapter } = await import('../lib/compute/device-profile')
    return describeAdapter(adapter)
  } catch {
    return null
  }
}

async function run(task: Task, origin: string): Promise<void> {
  const fail = (message: string, outOfMemory = false) => post({ type: 'failed', instanceId: task.instanceId, message, ...(outOfMemory ? { outOfMemory } : {}) })
  if (!ready) return fail('the compute worker is not initialised yet')
  if (running) return fail(`busy with task instance ${running.instanceId}; one task at a time`)
  const { compute, backend } = ready
  const controller = new AbortController()
  running = { instanceId: task.instanceId, controller }
  let lastProgress = 0
  try {
    const { signal } = controller
    const fetchCached = (ref: BlobRef) => blobCache.get(ref, () => compute.fetchBlob(ref, origin, { signal }))
    const { withOomScope, webgpuDevice } = await import('../lib/compute/oom')
    const tf = await import('@tensorflow/tfjs')
    const device = backend === 'webgpu' ? webgpuDevice(tf.backend()) : null
    const out = await withOomScope(device, () => compute.runTask(task, fetchCached, {
      signal,
      onProgress: (fraction, loss) => {
        const now = performance.now()
        if (fraction < 1 && now - lastProgress < PROGRESS_INTERVAL_MS) return
        lastProgress = now
        post({ type: 'progress', instanceId: task.instanceId, fraction, loss })
      },
    }))
    post(
      { type: 'result', instanceId: task.instanceId, taskId: task.taskId, weights: out.result, loss: out.loss, elapsedMs: out.elapsedMs, backend },
      [out.result],
    )
  } catch (e) {
    fail(controller.signal.aborted ? `cancelled: ${errorMessage(controller.signal.reason)}` : errorMessage(e), (e as Error)?.name === 'OutOfMemoryError')
  } finally {
    running = null
  }
}
