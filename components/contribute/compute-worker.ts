/** The dedicated compute Web Worker (workers/compute.worker.ts) with typed messages in both directions. */
import { FromWorker, type ToWorker } from '@/lib/protocol'

export type ComputeWorker = {
  post(message: ToWorker): void
  terminate(): void
}

export type ComputeWorkerHandlers = {
  onMessage(message: FromWorker): void
  /** The worker could not load or threw outside a task. */
  onCrash(message: string): void
}

export function createComputeWorker(handlers: ComputeWorkerHandlers): ComputeWorker {
  const worker = new Worker(new URL('../../workers/compute.worker.ts', import.meta.url), { type: 'module' })
  worker.onmessage = (e: MessageEvent<unknown>) => {
    const parsed = FromWorker.safeParse(e.data)
    if (parsed.success) handlers.onMessage(parsed.data)
    else console.error('compute worker sent an unexpected message', parsed.error, e.data)
  }
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault()
    handlers.onCrash(e.message || 'The compute worker stopped unexpectedly.')
  }
  worker.onmessageerror = () => handlers.onCrash('The compute worker sent a message that could not be read.')
  return {
    post: (message) => worker.postMessage(message),
    terminate: () => worker.terminate(),
  }
}
