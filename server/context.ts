/** What every service is given: the store, blobs, the wake-up bus, the log, the config and a clock. */
import type { Kysely } from 'kysely'
import type { BlobStore } from './blobs'
import type { Bus } from './bus'
import type { Cluster } from './cluster'
import type { Config } from './config'
import type { Logger } from './log'
import type { Database } from './store/schema'

export type Ctx = {
  db: Kysely<Database>
  blobs: BlobStore
  bus: Bus
  log: Logger
  config: Config
  now: () => number
  /** This coordinator among the others sharing the database (advisory locks, heartbeats). */
  cluster: Cluster
  /** Resolves once every commit made before the call is on disk (server/store/durability.ts). */
  durable: () => Promise<void>
}
