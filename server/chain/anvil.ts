/**
 * The embedded chain: anvil (from the @foundry-rs/anvil npm package) on loopback, its state
 * in a file so the chain survives restarts (dumped every few seconds and on exit).
 *
 * anvil runs under a tiny shell that holds our stdin: when this process exits for any reason,
 * kill -9 included, the pipe closes and the shell stops anvil (SIGTERM, so it dumps its state).
 * No orphaned chain keeps the port, and stopping is the same path: close the pipe.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import path from 'node:path'
import { freePort } from '../net-port'

export type AnvilProcess = { url: string; port: number; pid: number; stop(): Promise<void> }

export function anvilBinary(): string {
  const require = createRequire(import.meta.url)
  const pkg = path.dirname(require.resolve(`@foundry-rs/anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}/package.json`))
  const bin = path.join(pkg, 'bin', 'anvil')
  if (!fs.existsSync(bin)) throw new Error(`anvil binary missing at ${bin}: reinstall @foundry-rs/anvil`)
  return bin
}

/** Waits until nothing listens on `port` (a previous anvil may still be writing its state on the way out). */
export async function waitPortFree(port: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  for (;;) {
    const busy = await new Promise<boolean>((resolve) => {
      const sock = net.connect({ port, host: '127.0.0.1' })
      sock.once('connect', () => (sock.destroy(), resolve(true)))
      sock.once('error', () => resolve(false))
    })
    if (!busy) return true
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 100))
  }
}

const SUPERVISOR = '"$@" & a=$!; echo "anvil-pid $a"; read _ignored; kill -TERM $a 2>/dev/null; wait $a'

export async function startAnvil(opts: { port?: number; statePath?: string; chainId?: number; timeoutMs?: number } = {}): Promise<AnvilProcess> {
  const port = opts.port || (await freePort())
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(opts.chainId ?? 31337), '--silent']
  if (opts.statePath) args.push('--state', opts.statePath, '--state-interval', '2')
  const child = spawn('sh', ['-c', SUPERVISOR, 'sh', anvilBinary(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const url = `http://127.0.0.1:${port}`
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000)
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited during start-up (${child.exitCode}): ${out.slice(-1000)}`)
    const ok = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' })
      .then((r) => r.ok)
      .catch(() => false)
    if (ok) break
    if (Date.now() > deadline) {
      child.stdin!.end()
      throw new Error(`anvil did not answer on ${url}: ${out.slice(-1000)}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  const pid = Number(/anvil-pid (\d+)/.exec(out)?.[1] ?? child.pid)
  return {
    url,
    port,
    pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.stdin!.end()
      const timer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {}
      }, 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
