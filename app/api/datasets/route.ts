import { json, readText, route } from '../_lib/http'

export const dynamic = 'force-dynamic'

/** POST raw CSV (Content-Type: text/csv; optional X-Filename) -> 201 DatasetView. */
export const POST = route({ auth: 'owner' }, async ({ req, c }) => {
  const csv = await readText(req, c.config.NIMBLE_MAX_UPLOAD_BYTES, ['text/csv', 'text/plain', 'application/csv'])
  const name = req.headers.get('x-filename') ?? 'dataset.csv'
  return json(await c.createDataset(csv, name), 201)
})

export const GET = route({ auth: 'owner' }, async ({ c }) => ({ datasets: await c.listDatasets() }))
