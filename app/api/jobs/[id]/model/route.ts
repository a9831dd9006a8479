import { json, route } from '../../../_lib/http'

export const dynamic = 'force-dynamic'

/** The trained model as a tfjs Layers model.json; its weights are at ./model.weights.bin. */
export const GET = route<{ id: string }>({ auth: 'owner' }, async ({ c, params, who }) => {
  const { modelJson } = await c.modelArtifacts(who, params.id)
  return json(modelJson, 200, { 'content-disposition': `inline; filename="model.json"` })
})
