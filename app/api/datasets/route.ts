import { contentType, json, readBytes, readText, route } from '../_lib/http'

export const dynamic = 'force-dynamic'

const CSV = ['text/csv', 'text/plain', 'application/csv']
const ZIP = ['application/zip', 'application/x-zip-compressed', 'application/octet-stream']

/**
 * POST raw CSV (Content-Type: text/csv) or a zip of images (application/zip: one folder per
 * class, or idx files) -> 201 DatasetView. X-Filename names it (percent-encoded if not ASCII).
 */
export const POST = route({ auth: 'owner' }, async ({ req, c, who }) => {
  const raw = req.headers.get('x-filename') ?? ''
  let name = raw
  try {
    name = decodeURIComponent(raw)
  } catch {}
  const limit = c.config.NIMBLE_MAX_UPLOAD_BYTES
  if (ZIP.includes(contentType(req))) return json(await c.createImageDataset(who, await readBytes(req, limit, ZIP), name || 'images.zip'), 201)
  return json(await c.createDataset(who, await readText(req, limit, CSV), name || 'dataset.csv'), 201)
})

export const GET = route({ auth: 'owner' }, async ({ c, who }) => ({ datasets: await c.listDatasets(who) }))
