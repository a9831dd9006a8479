/** Command-line arguments of the headless worker, parsed with node:util and checked. */
import { hostname } from 'node:os'
import { parseArgs } from 'node:util'

export const BACKEND_CHOICES = ['cpu', 'wasm', 'webgpu', 'auto'] as const
export type BackendChoice = (typeof BACKEND_CHOICES)[number]

export type WorkerArgs = { server: string; backend: BackendChoice; name: string; idFile?: string; help: boolean }

export const USAGE = `Usage: npm run worker -- [options]
       node --import tsx server/worker-cli.ts [options]

Runs a headless Nimble compute worker that trains tasks for a coordinator.

Options:
  --server URL      coordinator origin (default http://127.0.0.1:3000, or $NIMBLE_SERVER)
  --backend NAME    cpu | wasm | webgpu | auto (default auto: benchmarks cpu and wasm, keeps the faster)
  --name NAME       name shown on the network page (default <hostname>-headless)
  --id-file PATH    keep this worker's device id in PATH across restarts
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
  return { server: url.origin, backend: backend as BackendChoice, name, ...(idFile ? { idFile } : {}), help: values.help ?? false }
}
