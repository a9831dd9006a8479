/**
 * tfjs backends for the headless worker in Node:
 *   cpu     tfjs's pure-JS backend (always there, slow)
 *   wasm    @tensorflow/tfjs-backend-wasm; in Node it loads its .wasm files from its own dist/ folder
 *   webgpu  Dawn through the npm package `webgpu`: navigator.gpu must exist BEFORE
 *           @tensorflow/tfjs-backend-webgpu is imported (it registers itself at import time).
 *           Needs a Vulkan driver; see vulkanEnv() and server/worker/reexec.ts.
 * `auto` benchmarks cpu and wasm (not webgpu: software-only on these machines) and keeps the faster.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { benchmarkMatMul, describeAdapter, memoryBudget, pickBackend, type GpuAdapterLike } from '../../lib/compute'
import type { AdapterInfo, Backend, BenchmarkResult } from '../../lib/protocol'
import type { BackendChoice } from './args'

export type BackendSetup = { backend: Backend; adapter: AdapterInfo | null; benchmarks: BenchmarkResult[]; memoryBudget: number }

const CHROMIUM_LIB = '/usr/lib/chromium'
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json'

/** Silences tfjs's "install tfjs-node" hint and other dev-only console noise. */
export function quietTfjs(): void {
  tf.env().set('PROD', true)
}

/** Registers and initialises `choice`, benchmarks what it chose, and returns the device's self-description. */
export async function setupBackend(choice: BackendChoice, log: (m: string) => void = () => {}): Promise<BackendSetup> {
  quietTfjs()
  let adapter: AdapterInfo | null = null
  if (choice === 'wasm' || choice === 'auto') await import('@tensorflow/tfjs-backend-wasm')
  if (choice === 'webgpu') adapter = await installNodeWebGpu()

  const candidates: Backend[] = choice === 'auto' ? ['wasm', 'cpu'] : [choice]
  const benchmarks: BenchmarkResult[] = []
  for (const backend of candidates) {
    const r = await benchmarkMatMul({ backend })
    log(r.error ? `backend ${backend} unavailable: ${r.error}` : `backend ${backend} ${r.gflops.toFixed(2)} GFLOP/s at ${r.size}x${r.size}`)
    benchmarks.push(r)
  }
  const backend = pickBackend(benchmarks, choice === 'auto' ? undefined : choice)
  if (!backend) throw new Error(`no usable tfjs backend (${benchmarks.map((b) => `${b.backend}: ${b.error ?? 'failed'}`).join('; ')})`)
  if (!(await tf.setBackend(backend))) throw new Error(`could not switch to the ${backend} backend`)
  await tf.ready()
  return { backend, adapter, benchmarks, memoryBudget: memoryBudget(backend, adapter) }
}

/** Gives Node a navigator.gpu (Dawn), then loads the tfjs webgpu backend. Returns the adapter's description. */
export async function installNodeWebGpu(): Promise<AdapterInfo> {
  quietVulkanLoader()
  const { create, globals } = await import('webgpu')
  Object.assign(globalThis, globals)
  const gpu = create([])
  defineNavigatorGpu(gpu)
  const adapter = (await gpu.requestAdapter()) as unknown as GpuAdapterLike | null
  if (!adapter) {
    throw new Error(
      'WebGPU found no adapter: it needs a Vulkan driver. With Chromium installed, run with ' +
        `LD_LIBRARY_PATH=${CHROMIUM_LIB} VK_ICD_FILENAMES=${SWIFTSHADER_ICD} (the CLI does this itself when those files exist)`,
    )
  }
  await import('@tensorflow/tfjs-backend-webgpu')
  return describeAdapter(adapter)
}

/** Node 20 has no `navigator`; Node 21+ has a read-only getter on globalThis whose object accepts new properties. */
function defineNavigatorGpu(gpu: unknown): void {
  const nav = (globalThis as { navigator?: object }).navigator
  if (nav && typeof nav === 'object') {
    try {
      Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, enumerable: true })
      if ((nav as { gpu?: unknown }).gpu === gpu) return
    } catch {
      // fall through: replace navigator itself
    }
  }
  Object.defineProperty(globalThis, 'navigator', { value: { ...(nav ?? {}), gpu }, configurable: true, writable: true })
}

/**
 * The environment Dawn needs to find SwiftShader's Vulkan driver from Chromium, or null when
 * it is already set or the files are missing. LD_LIBRARY_PATH is read at process start, so
 * the CLI re-executes itself with these variables (see reexec.ts).
 */
export function vulkanEnv(env: NodeJS.ProcessEnv): Record<string, string> | null {
  const hasLib = (env.LD_LIBRARY_PATH ?? '').split(':').includes(CHROMIUM_LIB)
  if (hasLib && env.VK_ICD_FILENAMES) return null
  if (!existsSync(SWIFTSHADER_ICD)) return null
  return {
    LD_LIBRARY_PATH: hasLib ? env.LD_LIBRARY_PATH! : [CHROMIUM_LIB, env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    VK_ICD_FILENAMES: env.VK_ICD_FILENAMES || SWIFTSHADER_ICD,
  }
}

/** The Vulkan loader warns when XDG_RUNTIME_DIR is unset; give it a private folder. */
function quietVulkanLoader(): void {
  if (process.env.XDG_RUNTIME_DIR) return
  const dir = join(tmpdir(), `nimble-xdg-${process.getuid?.() ?? 'user'}`)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    process.env.XDG_RUNTIME_DIR = dir
  } catch {
    // only a warning is at stake
  }
}
