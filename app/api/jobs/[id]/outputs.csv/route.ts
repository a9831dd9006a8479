import { route } from '../../../_lib/http'

export const dynamic = 'force-dynamic'

export const GET = route<{ id: string }>({ auth: 'owner' }, async ({ c, params, who }) => {
  const { csv } = await c.jobOutputs(who, params.id)
  return new Response(csv, { headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="predictions-${params.id}.csv"`, 'cache-control': 'no-store' } })
})
