/**
 * Readiness: a coordinator is ready when its database answers a query within `timeoutMs` and
 * it is not draining for shutdown. GET /api/health answers 200 when ready and 503 (same body)
 * when not, so a proxy or orchestrator takes a coordinator that lost its database out of its
 * pool instead of sending it requests that would fail.
 */
import type { HealthView } from '../lib/protocol'
import { isPostgres, type Store } from './store/db'

export type HealthParameters = {
  db: Store
  devices: number
  startedAt: number
  node: string
  redis: boolean
  draining: boolean
  timeoutMs?: number
}

export async function checkHealth({ db, devices, startedAt, node, redis, draining, timeoutMs = 3000 }: HealthParameters): Promise<HealthView> {
  const t0 = performance.now()
  let timer: NodeJS.Timeout | undefined
  const reachable = await Promise.race([
    db.selectFrom('jobs').select('id').limit(1).execute().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
  ])
  clearTimeout(timer)
  return {
    ok: reachable && !draining,
    devices,
    uptimeSec: Math.max(0, Math.round((Date.now() - startedAt) / 1000)),
    db: isPostgres(db) ? 'postgres' : 'sqlite',
    dbReachable: reachable,
    dbMs: Math.round((performance.now() - t0) * 10) / 10,
    node,
    redis,
    ...(draining ? { draining: true } : {}),
  }
}
