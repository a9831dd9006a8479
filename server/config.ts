/**
 * Configuration from environment variables, validated once at start-up.
 * A bad value stops the process with a message naming the variable and what it expects.
 */
import path from 'node:path'
import { z } from 'zod'
import { readPrices, type PriceTable } from '../lib/scheduler/pricing'
import { ChainConfigShape, checkChainConfig } from './chain/config'

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def)

export const ConfigSchema = z.object({
  PORT: int(3000, 0, 65535),
  HOST: z.string().min(1).default('0.0.0.0'),
  NIMBLE_DATA_DIR: z.string().min(1).default('data'),
  /** Unset (or sqlite:): the embedded SQLite file in the data dir. postgres://user@host:port/db: PostgreSQL, shareable by several coordinators. */
  DATABASE_URL: z
    .string()
    .refine((u) => /^(postgres(ql)?:\/\/|sqlite:)/.test(u), 'must be postgres://user:password@host:port/database (or unset for the embedded SQLite store)')
    .optional(),
  /** PostgreSQL connections per coordinator. */
  NIMBLE_DB_POOL: int(10, 1, 1000),
  /** group: commits flushed together (every NIMBLE_DB_FLUSH_MS, and before any API answer or settlement); each: every commit (server/store/durability.ts). */
  NIMBLE_DB_SYNC: z.enum(['group', 'each']).default('group'),
  NIMBLE_DB_FLUSH_MS: int(200, 0, 60_000),
  /** redis://host:port: Socket.IO broadcasts (live dashboards) reach clients on every coordinator. */
  REDIS_URL: z
    .string()
    .refine((u) => /^rediss?:\/\//.test(u), 'must be redis://host:port (or rediss://)')
    .optional(),
  /** Content-addressed blobs; a directory every coordinator shares (NFS, a mounted volume). Default: <data dir>/blobs. */
  NIMBLE_BLOB_DIR: z.string().min(1).optional(),
  /** This coordinator's name among several (leases it holds are recorded under it). Default: host name and PID. */
  NIMBLE_NODE_ID: z.string().min(1).max(100).optional(),
  /** A coordinator silent this long is dead: another frees the leases of its devices. */
  NIMBLE_NODE_TIMEOUT_MS: int(10_000, 1000),
  NIMBLE_ADMIN_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Largest upload (CSV or prediction input) in bytes. */
  NIMBLE_MAX_UPLOAD_BYTES: int(50 * 1024 * 1024, 1024),
  /** Largest single Socket.IO message (a task result carries the model's weights). */
  NIMBLE_MAX_MESSAGE_BYTES: int(64 * 1024 * 1024, 1024),
  NIMBLE_MAX_ROWS: int(1_000_000, 1),
  NIMBLE_MAX_COLUMNS: int(2_000, 1),
  /** How long a device may hold a task before it goes to someone else. */
  NIMBLE_LEASE_MS: int(60_000, 500),
  /** Most tasks one device may hold at once; a device asks for up to this many in its hello (`slots`). */
  NIMBLE_DEVICE_MAX_TASKS: int(1, 1, 64),
  /** A task that failed, lapsed or was rejected this many times fails its job (with the last reason). */
  NIMBLE_MAX_ATTEMPTS: int(10, 1, 1000),
  /** Largest uploaded or built model, in parameters. */
  NIMBLE_MAX_MODEL_PARAMS: int(20_000_000, 1),
  /** Upper bound on data-parallel shards per round. */
  NIMBLE_MAX_SHARDS: int(16, 1, 1024),
  /** Price table override as JSON, e.g. {"perSecond":{"mid":0.01},"volunteerPerTflop":0.002} (see lib/scheduler/pricing.ts). */
  NIMBLE_PRICES: z.string().optional(),
  /** A task running this many times longer than expected gets a spare copy on another device (0: never). */
  NIMBLE_STRAGGLER_FACTOR: z.coerce.number().min(0).max(100).default(3),
  /** ... and only once it has run at least this long. */
  NIMBLE_STRAGGLER_MIN_MS: int(5_000, 0),
  /** Signs task-scoped blob tokens (default: generated into <dataDir>/secret.key). */
  NIMBLE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** How long a wallet sign-in session lasts. */
  NIMBLE_SESSION_HOURS: int(168, 1, 24 * 365),
  /** API requests per minute from one IP address (0: no limit). */
  NIMBLE_RATE_PER_IP: int(600, 0),
  /** API requests per minute with one key or session (0: no limit). */
  NIMBLE_RATE_PER_KEY: int(1200, 0),
  /** Jobs one owner may have queued or running at once (the admin key is exempt). */
  NIMBLE_MAX_JOBS_PER_OWNER: int(5, 1, 10_000),
  /** Largest JSON request body, in bytes. */
  NIMBLE_MAX_JSON_BYTES: int(1024 * 1024, 1024),
  /** On SIGTERM: how long in-flight results are still accepted before the process exits. */
  NIMBLE_SHUTDOWN_GRACE_MS: int(15_000, 0, 600_000),
  /** Origins allowed to call the API from a browser, comma-separated (default: none, same origin only). */
  NIMBLE_CORS_ORIGINS: z.string().default(''),
  /** Most tasks of one job leased at once (0: no limit), so one job cannot take the whole fleet. */
  NIMBLE_JOB_LEASE_QUOTA: int(0, 0),
  /** Verification (lib/verify/trust.ts): 'adaptive' replicates new devices' work, 'off' accepts any well-formed result. */
  NIMBLE_REPLICATION: z.enum(['adaptive', 'off']).default('adaptive'),
  /** Consecutive accepted results after which a device's tasks are replicated only with NIMBLE_REPLICATE_PROBABILITY. */
  NIMBLE_TRUST_AFTER: int(10, 0, 1_000_000),
  NIMBLE_REPLICATE_PROBABILITY: z.coerce.number().min(0).max(1).default(0.05),
  /** Invalid results that ban a device and its wallet. */
  NIMBLE_BAN_AFTER_INVALID: int(3, 1, 1_000_000),
  /** Consecutive missed lease deadlines that ban a device. */
  NIMBLE_BAN_AFTER_EXPIRED: int(5, 1, 1_000_000),
  /** Share of single-copy results the coordinator recomputes itself (cheap tasks only). */
  NIMBLE_SPOT_CHECK_RATE: z.coerce.number().min(0).max(1).default(0.05),
  /** Largest task (coordinator FLOP estimate) the coordinator recomputes for a spot check or as a missing replica. */
  NIMBLE_SPOT_MAX_FLOPS: z.coerce.number().min(0).default(2e9),
  /** Share of accepted tasks planted again as canaries (known answer) to test whoever runs them. */
  NIMBLE_CANARY_RATE: z.coerce.number().min(0).max(1).default(0.02),
  /** Seed for verification draws (replicate? spot-check?), for reproducible tests; unset: random. */
  NIMBLE_VERIFY_SEED: z.coerce.number().int().optional(),
  NIMBLE_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  ...ChainConfigShape,
})

export type Config = z.infer<typeof ConfigSchema> & { dataDir: string; blobDir: string; dev: boolean; prices: PriceTable }

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export function loadConfig(env: Record<string, string | undefined> = process.env, opts: { dev?: boolean } = {}): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = ConfigSchema.safeParse(cleaned)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  let prices: PriceTable
  try {
    prices = readPrices(parsed.data.NIMBLE_PRICES ? JSON.parse(parsed.data.NIMBLE_PRICES) : {})
  } catch (e) {
    const detail = e instanceof z.ZodError ? e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (e as Error).message
    throw new ConfigError(`Invalid configuration:\n  NIMBLE_PRICES: ${detail}`)
  }
  const chainProblem = checkChainConfig(parsed.data)
  if (chainProblem) throw new ConfigError(`Invalid configuration:\n  ${chainProblem}`)
  const dataDir = path.resolve(parsed.data.NIMBLE_DATA_DIR)
  const blobDir = path.resolve(parsed.data.NIMBLE_BLOB_DIR ?? path.join(dataDir, 'blobs'))
  return { ...parsed.data, dataDir, blobDir, dev: opts.dev ?? false, prices }
}
