/**
 * The headless worker's command line: `npm run worker -- --server http://127.0.0.1:3000 [--backend …] [--memory 1GiB] [--slots 2]`.
 * A thin wrapper over server/worker/run.ts: parse arguments, make sure Dawn can find a
 * Vulkan driver when --backend webgpu is asked for (re-executing with LD_LIBRARY_PATH set,
 * which only takes effect at process start), start the worker, stop cleanly on SIGINT/SIGTERM.
 */
import { parseWorkerArgs, USAGE, UsageError } from './worker/args'
import { vulkanEnv } from './worker/backends'
import { alreadyReexecuted, reexecWithEnv } from './worker/reexec'
import { runWorker, type WorkerHandle } from './worker/run'

async function main(): Promise<void> {
  let args
  try {
    args = parseWorkerArgs(process.argv.slice(2), process.env)
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`worker: ${e.message}\n\n${USAGE}\n`)
      process.exit(2)
    }
    throw e
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  if (args.backend === 'webgpu' && !alreadyReexecuted(process.env)) {
    const extra = vulkanEnv(process.env)
    if (extra) await reexecWithEnv(extra)
  }

  const log = (line: string) => process.stderr.write(`${line}\n`)
  let worker: WorkerHandle | undefined
  let stopping = false
  const shutdown = (signal: string) => {
    // A terminal's Ctrl-C reaches both a re-executing parent and this child: act once.
    if (stopping) return
    stopping = true
    log(`worker stopping (${signal})`)
    // Dawn (webgpu) keeps Node alive, so exit explicitly once the socket is closed.
    void (worker?.stop() ?? Promise.resolve()).finally(() => process.exit(0))
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))

  worker = await runWorker({
    server: args.server,
    backend: args.backend,
    name: args.name,
    idFile: args.idFile,
    memoryBudget: args.memoryBudget,
    throttle: args.throttle,
    address: args.address,
    ...(args.slots ? { slots: args.slots } : {}),
    ...(args.fault ? { fault: args.fault } : {}),
    log,
    onFatal: (e) => {
      log(`worker: ${e.message}`)
      process.exit(3)
    },
  })
}

main().catch((e) => {
  process.stderr.write(`worker: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
