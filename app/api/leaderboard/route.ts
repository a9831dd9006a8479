import { z } from 'zod'
import { route } from '../_lib/http'

export const dynamic = 'force-dynamic'
const Query = z.object({ device: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'a device id is 8-64 letters, digits, _ or -').optional() })

/** Public: top devices by verified credit (names and credit only); `?device=` adds that device's standing. */
export const GET = route({ auth: 'public' }, ({ req, c }) => {
  const q = Query.parse(Object.fromEntries(new URL(req.url).searchParams))
  return c.leaderboard(q.device)
})
