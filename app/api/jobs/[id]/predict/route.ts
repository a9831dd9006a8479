import { readText, route } from '../../../_lib/http'

export const dynamic = 'force-dynamic'

/** POST a CSV with the training columns (target optional) -> predictions in row order. */
export const POST = route<{ id: string }>({ auth: 'owner' }, async ({ req, c, params }) => {
  const csv = await readText(req, c.config.NIMBLE_MAX_UPLOAD_BYTES, ['text/csv', 'text/plain', 'application/csv'])
  return c.predict(params.id, csv)
})
