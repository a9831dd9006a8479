/** Command-line arguments of the headless worker, parsed with node:util and checked. */
import { hostname } from 'node:os'
import { parseArgs } from 'node:util'
import { MAX_SLOTS } from '../../lib/protocol/socket'
import { FAULT_KINDS, type FaultKind } from './faults'

export const BACKEND_CHOICES = ['cpu', 'wasm', 'webgpu', 'auto'] as const
export type BackendChoice = (typeof BACKEND_CHOICES)[number]

export type WorkerArgs = {
  server: string
  backend: BackendChoice
  name: string
  idFile?: string
  /** Bytes offered for weights and activations; absent: the backend's default budget. */
  memoryBudget?: number
  /** Runs every task this many times slower (and says so in its benchmarks): makes a slow device for tests and demos. */
  throttle?: number
  /** Payout address for rewards (0x + 40 hex digits). */
  address?: string
  /** Tests only: cheat or break in one way (see faults.ts). */
  fault?: FaultKind
  /** Tasks to hold at once (the coordinator grants at most its NIMBLE_DEVICE_MAX_TASKS); run one after another. */
  slots?: number
  help: boolean
}

export const USAGE = `Usage: npm run worker -- [options]
       node --import tsx server/worker-cli.ts [options]

Runs a headless Nimble compute worker that trains tasks for a coordinator.

Options:
  --server URL      coordinator origin (default http://127.0.0.1:3000, or $NIMBLE_SERVER)
  --backend NAME    cpu | wasm | webgpu | auto (default auto: benchmarks cpu and wasm, keeps the faster)
  --name NAME       name shown on the network page (default <hostname>-headless)
  --id-file PATH    keep this worker's device id in PATH across restarts
  --memory SIZE     memory this worker offers for weights and activations, e.g. 8MB, 512KiB, 1GiB
                    or plain bytes (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024;
                    default: 256 MiB on cpu and wasm, up to 512 MiB on webgpu)
  --throttle N      behave like a device N times slower (sleeps N-1 times each task's compute
                    time; benchmarks are divided by N), for tests and demos of mixed fleets
  --address 0x…     payout address for token rewards earned by this worker's verified work
  --slots N         hold up to N tasks at once (1-${MAX_SLOTS}, default 1); they wait in a local queue and
                    run one after another, so the next task is at hand when one finishes. The
                    coordinator grants at most its NIMBLE_DEVICE_MAX_TASKS
  --fault KIND      FOR TESTS: misbehave to exercise the coordinator's verification, one of
                    random (noise), scaled (result x1.01), nan (one NaN), stale (trains from old
                    weights), lazy (returns the input weights untrained), copy (replays its
                    previous result), slow (answers after three lease lengths). Such work is
                    rejected, earns nothing and gets the device and its wallet banned
  -h, --help        show this help`

export class UsageError extends Error {
  override name = 'UsageError'
}

export function parseWorkerArgs(argv: string[], env: Record<string, string | undefined> = {}): WorkerArgs {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        server: { type: 'string' },
        backend: { type: 'string' },
        name: { type: 'string' },
        'id-file': { type: 'string' },
        memory: { type: 'string' },
        throttle: { type: 'string' },
        address: { type: 'string' },
        fault: { type: 'string' },
        slots: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  const server = values.server ?? env.NIMBLE_SERVER ?? 'http://127.0.0.1:3000'
  let url: URL
  try {
    url = new URL(server)
  } catch {
    throw new UsageError(`--server must be a URL such as http://127.0.0.1:3000, got "${server}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server must use http or https, got "${url.protocol}"`)
  const backend = values.backend ?? 'auto'
  if (!(BACKEND_CHOICES as readonly string[]).includes(backend)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${backend}"`)
  const name = (values.name ?? `${hostname()}-headless`).trim().slice(0, 80)
  if (!name) throw new UsageError('--name must not be empty')
  const idFile = values['id-file']
  if (idFile !== undefined && !idFile.trim()) throw new UsageError('--id-file must be a path')
  const memoryBudget = values.memory === undefined ? undefined : parseByteSize(values.memory, '--memory')
  const throttle = values.throttle === undefined ? undefined : Number(values.throttle)
  if (throttle !== undefined && !(Number.isFinite(throttle) && throttle >= 1 && throttle <= 1000)) throw new UsageError(`--throttle must be a number from 1 to 1000, got "${values.throttle}"`)
  const address = values.address
  if (address !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(address)) throw new UsageError(`--address must be 0x followed by 40 hex digits, got "${address}"`)
  const fault = values.fault
  if (fault !== undefined && !(FAULT_KINDS as readonly string[]).includes(fault)) throw new UsageError(`--fault must be one of ${FAULT_KINDS.join(', ')}, got "${fault}"`)
  const slots = values.slots === undefined ? undefined : Number(values.slots)
  if (slots !== undefined && !(Number.isInteger(slots) && slots >= 1 && slots <= MAX_SLOTS)) throw new UsageError(`--slots must be a whole number from 1 to ${MAX_SLOTS}, got "${values.slots}"`)
  return {
    server: url.origin,
    ...(slots !== undefined ? { slots } : {}),
    ...(fault !== undefined ? { fault: fault as FaultKind } : {}),
    ...(address !== undefined ? { address } : {}),
    ...(throttle !== undefined ? { throttle } : {}),
    backend: backend as BackendChoice,
    name,
    ...(idFile ? { idFile } : {}),
    ...(memoryBudget !== undefined ? { memoryBudget } : {}),
    help: values.help ?? false,
  }
}

const UNITS = new Map<string, number>([
  ['', 1],
  ['b', 1],
  ['kb', 1e3],
  ['mb', 1e6],
  ['gb', 1e9],
  ['tb', 1e12],
  ['kib', 2 ** 10],
  ['mib', 2 ** 20],
  ['gib', 2 ** 30],
  ['tib', 2 ** 40],
])

/** "8MB", "512KiB", "1.5GiB", "1048576" → bytes (a whole, positive number). Units are case-insensitive. */
export function parseByteSize(text: string, option = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const unit = m ? UNITS.get(m[2].toLowerCase()) : undefined
  const usage = `${option} must be a size such as 8MB, 512KiB, 1GiB or a number of bytes, got "${text}"`
  if (!m || unit === undefined) throw new UsageError(usage)
  const bytes = Math.floor(Number(m[1]) * unit)
  if (bytes < 1) throw new UsageError(`${option} must be at least 1 byte, got "${text}"`)
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`${option} is too large: "${text}"`)
  return bytes
}
