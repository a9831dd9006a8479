/**
 * A short calibrated matMul benchmark: the GFLOP/s a device reports when it joins.
 * Self-reported and used for planning only, never for credit.
 *
 * Calibration: one warm-up at a small size (the first WebGPU call compiles shaders, which
 * takes seconds on software WebGPU), then square sizes 64, 128, 256, … until a single
 * timed matMul takes at least `targetMs` (that last size is timed twice, keeping the faster).
 * GPU backends get an untimed run at each size first because every new shape may compile
 * new shaders. Reading the result back
 * (`await data()`) forces the work to finish inside the timing.
 *
 * Switches to `backend` itself (awaiting tf.setBackend) when it is not already current;
 * the caller restores or picks the backend it wants afterwards.
 */
import * as tf from '@tensorflow/tfjs'
import type { Backend, BenchmarkResult } from '../protocol'

export type BenchmarkOptions = {
  backend: Backend
  /** Stop growing once one timed matMul takes this long. Default 50 ms (about 150 ms in all on cpu/wasm). */
  targetMs?: number
  /** Largest matrix side tried. Default 2048. */
  maxSize?: number
  /** Wall-clock cap including warm-ups, for very slow devices. Default 30 s. */
  maxTotalMs?: number
}

export async function benchmarkMatMul(opts: BenchmarkOptions): Promise<BenchmarkResult> {
  const { backend, targetMs = 50, maxSize = 2048, maxTotalMs = 30_000 } = opts
  const gpuLike = backend === 'webgpu'
  let size = 64
  try {
    if (tf.getBackend() !== backend) {
      const ok = await tf.setBackend(backend)
      if (!ok) return { backend, gflops: 0, size, error: `backend ${backend} failed to initialise` }
    }
    await tf.ready()
    const start = performance.now()
    await timeMatMul(32) // warm-up: kernel or shader compilation, memory pools
    let gflops = 0
    for (size = 64; size <= maxSize; size *= 2) {
      if (gpuLike) await timeMatMul(size)
      let ms = await timeMatMul(size)
      // A first run at a size can be slow for reasons other than arithmetic (JIT tiering, allocation):
      // confirm a would-be final measurement with a second run and keep the faster.
      if (ms >= targetMs) ms = Math.min(ms, await timeMatMul(size))
      gflops = ms > 0 ? (2 * size ** 3) / (ms * 1e6) : 0
      const spent = performance.now() - start
      // The next size costs about 8x (plus a warm-up on GPU): stop if it would blow the cap.
      if (ms >= targetMs || size * 2 > maxSize || spent + ms * 8 * (gpuLike ? 2 : 1) > maxTotalMs) break
    }
    return { backend, gflops: round(gflops), size: Math.min(size, maxSize) }
  } catch (e) {
    return { backend, gflops: 0, size, error: (e instanceof Error ? e.message : String(e)).slice(0, 500) }
  }
}

async function timeMatMul(n: number): Promise<number> {
  const a = tf.fill([n, n], 0.5)
  const b = tf.fill([n, n], 0.25)
  try {
    await Promise.all([a.data(), b.data()]) // make sure the inputs exist before timing
    const t0 = performance.now()
    const c = tf.matMul(a, b)
    await c.data()
    const ms = performance.now() - t0
    c.dispose()
    return ms
  } finally {
    a.dispose()
    b.dispose()
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}
