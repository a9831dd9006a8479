import { contentType, readBytes, readText, route } from '../../../_lib/http'

export const dynamic = 'force-dynamic'

/**
 * POST a CSV with the training columns (target optional) -> predictions in row order.
 * Image models take a zip of images (application/zip) and answer in file-name order.
 */
export const POST = route<{ id: string }>({ auth: 'owner' }, async ({ req, c, params, who }) => {
  const limit = c.config.NIMBLE_MAX_UPLOAD_BYTES
  if (['application/zip', 'application/x-zip-compressed', 'application/octet-stream'].includes(contentType(req))) {
    return c.predict(who, params.id, { zip: await readBytes(req, limit, []) })
  }
  return c.predict(who, params.id, { csv: await readText(req, limit, ['text/csv', 'text/plain', 'application/csv']) })
})
