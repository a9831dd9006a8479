import { NimbleError, SignInBody, WhoAmI } from '@/lib/protocol'
import { sessionCookie } from '@/server/accounts/sessions'
import { json, readJson, route } from '../../_lib/http'

export const dynamic = 'force-dynamic'
/** POST {message, signature} (EIP-4361 for this host) -> a session cookie (HttpOnly, SameSite=Lax, Secure on https). */
export const POST = route({ auth: 'public' }, async ({ req, c }) => {
  const body = await readJson(req, SignInBody, 16 * 1024)
  const host = req.headers.get('host')
  if (!host) throw new NimbleError({ code: 'bad_request', message: 'the request has no Host header' })
  const s = await c.accounts.signIn(body, host)
  const secure = new URL(req.url).protocol === 'https:' || req.headers.get('x-forwarded-proto') === 'https'
  const me = WhoAmI.parse({ ownerId: s.ownerId, address: s.address, admin: false, via: 'session' })
  return json(me, 200, { 'set-cookie': sessionCookie(s.token, s.maxAgeSec, secure) })
})
