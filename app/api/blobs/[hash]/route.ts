import { NimbleError } from '@/lib/protocol'
import { route } from '../../_lib/http'

export const dynamic = 'force-dynamic'

/**
 * A content-addressed blob, for the device that holds a task needing it: the URL in the task
 * carries a lease-scoped token (`?t=`). The admin key may read any blob. The bytes are checked
 * against the hash before they are sent; a damaged blob is refused (blob_corrupt).
 */
export const GET = route<{ hash: string }>({ auth: 'public' }, async ({ req, c, params }) => {
  if (!/^[0-9a-f]{64}$/.test(params.hash)) throw new NimbleError({ code: 'not_found', message: `no blob ${params.hash.slice(0, 64)}` })
  const token = new URL(req.url).searchParams.get('t')
  if (!(await c.blobAllowed(params.hash, token, { authorization: req.headers.get('authorization') }))) {
    throw new NimbleError({ code: 'forbidden', message: 'this blob belongs to a task you do not hold (or its token expired): blobs are served only with the URL of a current task' })
  }
  if (!c.blobs.has(params.hash)) throw new NimbleError({ code: 'not_found', message: `no blob ${params.hash}` })
  const etag = `"${params.hash}"`
  const headers = { 'cache-control': 'private, max-age=31536000, immutable', etag, 'content-type': 'application/octet-stream' }
  if (req.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers })
  const bytes = c.blobs.read(params.hash)
  return new Response(new Uint8Array(bytes), { headers: { ...headers, 'content-length': String(bytes.byteLength) } })
})
