import { LinkWalletBody, LinkWalletResult, NimbleError } from '@/lib/protocol'
import { readJson, route } from '../../_lib/http'

export const dynamic = 'force-dynamic'
export const POST = route({ auth: 'public' }, async ({ req, c }) => {
  const body = await readJson(req, LinkWalletBody, 16 * 1024)
  // The SIWE message must name the host the browser is on (what it signed for).
  const host = req.headers.get('host')
  if (!host) throw new NimbleError({ code: 'bad_request', message: 'the request has no Host header' })
  return LinkWalletResult.parse(await c.rewards.linkWallet(body, host))
})
