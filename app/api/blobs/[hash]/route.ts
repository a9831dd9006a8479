import fs from 'node:fs'
import { Readable } from 'node:stream'
import { NimbleError } from '@/lib/protocol'
import { route } from '../../_lib/http'

export const dynamic = 'force-dynamic'

/** Content-addressed, so immutable: a device that has fetched a blob never needs it again. */
export const GET = route<{ hash: string }>({ auth: 'public' }, async ({ req, c, params }) => {
  if (!/^[0-9a-f]{64}$/.test(params.hash) || !c.blobs.has(params.hash)) throw new NimbleError({ code: 'not_found', message: `no blob ${params.hash.slice(0, 64)}` })
  const etag = `"${params.hash}"`
  const headers = { 'cache-control': 'public, max-age=31536000, immutable', etag, 'content-type': 'application/octet-stream' }
  if (req.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers })
  const file = c.blobs.pathOf(params.hash)
  const stream = Readable.toWeb(fs.createReadStream(file)) as ReadableStream
  return new Response(stream, { headers: { ...headers, 'content-length': String(fs.statSync(file).size) } })
})
