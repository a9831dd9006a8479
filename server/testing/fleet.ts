/**
 * In-process fleets for integration tests: several headless workers in this process sharing
 * one initialised tfjs backend (server/worker/run.ts `setup`), each with its own payout
 * wallet and optionally a fault (server/worker/faults.ts). Cheaters advertise twice the
 * honest speed, as a real cheater would, so the dispatcher hands them work.
 */
import { setupBackend, type BackendSetup } from '../worker/backends'
import type { FaultKind } from '../worker/faults'
import { runWorker, type WorkerHandle } from '../worker/run'

export type FleetWorker = { name: string; address: string; fault: FaultKind | null; handle: WorkerHandle }

let shared: Promise<BackendSetup> | null = null

export function sharedSetup(): Promise<BackendSetup> {
  shared ??= setupBackend('cpu')
  return shared
}

/** A distinct, valid payout address per worker index (lower case, as the coordinator stores it). */
export function walletOf(i: number): string {
  return `0x${(i + 1).toString(16).padStart(40, 'a')}`
}

export async function startFleet(server: string, honest: number, faults: FaultKind[], opts: { verbose?: boolean } = {}): Promise<FleetWorker[]> {
  const setup = await sharedSetup()
  const out: FleetWorker[] = []
  const specs = [...Array.from({ length: honest }, () => null), ...faults]
  for (const [i, fault] of specs.entries()) {
    const name = fault ? `cheat-${fault}-${i}` : `honest-${i}`
    const address = walletOf(i)
    const mySetup = fault ? { ...setup, benchmarks: setup.benchmarks.map((b) => ({ ...b, gflops: b.gflops * 2 })) } : setup
    const handle = await runWorker({
      server,
      backend: 'cpu',
      name,
      address,
      setup: mySetup,
      rejoinDelayMs: 60_000,
      log: opts.verbose ? (l) => process.stderr.write(`${l}\n`) : () => {},
      ...(fault ? { fault } : {}),
    })
    out.push({ name, address, fault, handle })
  }
  return out
}
