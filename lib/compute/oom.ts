/**
 * Out-of-memory on the device, caught rather than crashed on. On WebGPU an allocation that
 * does not fit raises a GPUError in an 'out-of-memory' error scope (it is not thrown by the
 * call that caused it); on every backend an allocation can also throw. Either way the task
 * fails with `OutOfMemoryError`, the device reports `outOfMemory`, and the coordinator lowers
 * its memory budget so it is only given tasks that fit.
 */
export class OutOfMemoryError extends Error {
  override name = 'OutOfMemoryError'
}

/** The slice of a GPUDevice this needs (tfjs-backend-webgpu's backend exposes `.device`). */
export type ErrorScopeDevice = {
  pushErrorScope(filter: 'out-of-memory'): void
  popErrorScope(): Promise<{ message: string } | null>
}

const OOM_TEXT = /out of memory|\boom\b|allocation (failed|size)|failed to allocate|exceeds? (the )?(max|limit)/i

export function isOutOfMemory(e: unknown): boolean {
  return e instanceof OutOfMemoryError || (e instanceof Error && OOM_TEXT.test(e.message))
}

/** Runs `fn` inside an out-of-memory error scope when a WebGPU device is given. */
export async function withOomScope<T>(device: ErrorScopeDevice | null | undefined, fn: () => Promise<T>): Promise<T> {
  if (!device) {
    try {
      return await fn()
    } catch (e) {
      throw isOutOfMemory(e) ? new OutOfMemoryError(`out of memory: ${(e as Error).message}`) : e
    }
  }
  device.pushErrorScope('out-of-memory')
  let result: T
  try {
    result = await fn()
  } catch (e) {
    const scoped = await device.popErrorScope().catch(() => null)
    if (scoped || isOutOfMemory(e)) throw new OutOfMemoryError(`out of memory: ${scoped?.message ?? (e as Error).message}`)
    throw e
  }
  const scoped = await device.popErrorScope()
  if (scoped) throw new OutOfMemoryError(`out of GPU memory: ${scoped.message}`)
  return result
}

/** The tfjs WebGPU backend's device, if that is the active backend. */
export function webgpuDevice(backend: unknown): ErrorScopeDevice | null {
  const d = (backend as { device?: Partial<ErrorScopeDevice> } | null)?.device
  return d && typeof d.pushErrorScope === 'function' && typeof d.popErrorScope === 'function' ? (d as ErrorScopeDevice) : null
}

/** The budget a device keeps after running out of memory on a task that needed `needBytes`. */
export function budgetAfterOom(current: number, needBytes: number): number {
  const below = Math.max(0, Math.floor(needBytes * 0.9))
  return current === 0 ? below : Math.min(current, below)
}
