import { route } from '../../../_lib/http'

export const dynamic = 'force-dynamic'

export const GET = route<{ id: string }>({ auth: 'owner' }, async ({ c, params, who }) => {
  const { weightsBin } = await c.modelArtifacts(who, params.id)
  return new Response(weightsBin, {
    headers: { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment; filename="model.weights.bin"', 'cache-control': 'no-store' },
  })
})
