import { HealthView } from '@/lib/protocol'
import { json, route } from '../_lib/http'

export const dynamic = 'force-dynamic'
/** Readiness (server/health.ts): 200 when the database answers and the coordinator is not draining; otherwise 503 with the same body. */
export const GET = route({ auth: 'public' }, async ({ c }) => {
  const h = HealthView.parse(await c.health())
  return json(h, h.ok ? 200 : 503)
})
