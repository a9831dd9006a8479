/**
 * Re-runs the current Node command in a child process with extra environment variables,
 * for settings (LD_LIBRARY_PATH) that only take effect at process start. The parent
 * forwards SIGINT/SIGTERM and exits with the child's code.
 */
import { spawn } from 'node:child_process'

const GUARD = 'NIMBLE_WORKER_REEXEC'

export function alreadyReexecuted(env: NodeJS.ProcessEnv): boolean {
  return env[GUARD] === '1'
}

export function reexecWithEnv(extra: Record<string, string>): Promise<never> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...extra, [GUARD]: '1' },
  })
  const forward = (sig: NodeJS.Signals) => child.kill(sig)
  process.on('SIGINT', forward)
  process.on('SIGTERM', forward)
  return new Promise<never>(() => {
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
    child.on('error', (e) => {
      process.stderr.write(`worker: could not restart with the Vulkan environment: ${e.message}\n`)
      process.exit(1)
    })
  })
}
