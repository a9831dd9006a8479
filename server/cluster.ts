/**
 * Cluster: this coordinator among others sharing one PostgreSQL database.
 *
 * Role: give the node a name, keep its heartbeat in `nodes`, tell live nodes from dead ones,
 * and run work that must happen in one coordinator at a time under a PostgreSQL advisory lock.
 * On SQLite there is only ever one coordinator: locks are no-ops and every other node is dead.
 * Writes: nodes (own row: insert on start, heartbeat_at every heartbeat, delete on stop;
 *         rows of dead nodes are deleted by whoever sweeps them).
 */
import os from 'node:os'
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Store } from './store/db'
import { isPostgres } from './store/db'

/** Key space of Nimble's advisory locks (first half of the two-int form). */
const LOCK_SPACE = 0x4e494d

/** A stable 31-bit hash of a lock name. */
export function lockKey(name: string): number {
  let h = 2166136261
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619)
  return h & 0x7fffffff
}

export class Cluster {
  readonly nodeId: string
  readonly shared: boolean
  private timer: NodeJS.Timeout | null = null
  private locks: Store

  /**
   * `locks`: where advisory locks are taken, a pool of its own on PostgreSQL, so coordinators
   * waiting for a lock never hold the connections its holder needs for its queries.
   */
  constructor(
    private db: Store,
    private now: () => number,
    opts: { nodeId?: string; heartbeatMs?: number; deadAfterMs?: number; locks?: Store } = {},
  ) {
    this.locks = opts.locks ?? db
    this.nodeId = opts.nodeId ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
    this.shared = isPostgres(db)
    this.heartbeatMs = opts.heartbeatMs ?? 2000
    this.deadAfterMs = opts.deadAfterMs ?? 10_000
  }

  readonly heartbeatMs: number
  /** A node whose heartbeat is older than this is dead: its leases and devices are released. */
  readonly deadAfterMs: number

  async start(): Promise<void> {
    const now = this.now()
    await this.db
      .insertInto('nodes')
      .values({ id: this.nodeId, started_at: now, heartbeat_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ started_at: now, heartbeat_at: now }))
      .execute()
    this.timer = setInterval(() => void this.beat().catch(() => {}), this.heartbeatMs)
    this.timer.unref()
  }

  private async beat(): Promise<void> {
    await this.db.updateTable('nodes').set({ heartbeat_at: this.now() }).where('id', '=', this.nodeId).execute()
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.db.deleteFrom('nodes').where('id', '=', this.nodeId).execute().catch(() => {})
    if (this.locks !== this.db) await this.locks.destroy()
  }

  /** This node and the others with a recent heartbeat (only this one on SQLite: one coordinator per database there). */
  async liveNodes(): Promise<string[]> {
    if (!this.shared) return [this.nodeId]
    const rows = await this.db.selectFrom('nodes').select('id').where('id', '!=', this.nodeId).where('heartbeat_at', '>=', this.now() - this.deadAfterMs).execute()
    return [this.nodeId, ...rows.map((r) => r.id)]
  }

  /**
   * Runs `fn` only if no other coordinator is running work of this name; returns undefined
   * when one is (the caller skips: the other node does it). `wait: true` queues behind it instead.
   */
  async exclusive<T>(name: string, fn: () => Promise<T>, opts: { wait?: boolean } = {}): Promise<T | undefined> {
    if (!this.shared) return fn()
    const key = lockKey(name)
    // A session lock lives on one connection: hold that connection for the whole run.
    return this.locks.connection().execute(async (conn) => {
      if (opts.wait) await sql`SELECT pg_advisory_lock(${LOCK_SPACE}, ${key})`.execute(conn)
      else {
        const { rows } = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${LOCK_SPACE}, ${key}) AS ok`.execute(conn)
        if (!rows[0]?.ok) return undefined
      }
      try {
        return await fn()
      } finally {
        await sql`SELECT pg_advisory_unlock(${LOCK_SPACE}, ${key})`.execute(conn)
      }
    })
  }
}
