import { json, route } from '../../../_lib/http'

export const dynamic = 'force-dynamic'

/** The manifest beside model.json: how raw rows (or images) become the model's inputs, and what its outputs mean. */
export const GET = route<{ id: string }>({ auth: 'owner' }, async ({ c, params, who }) => {
  const { modelJson } = await c.modelArtifacts(who, params.id)
  const meta = (modelJson as { userDefinedMetadata?: { nimble?: object } }).userDefinedMetadata?.nimble ?? {}
  return json(meta, 200, { 'content-disposition': 'attachment; filename="preprocessing.json"' })
})
