import { readCookie, SESSION_COOKIE, sessionCookie } from '@/server/accounts/sessions'
import { json, route } from '../../_lib/http'

export const dynamic = 'force-dynamic'
/** Ends the browser session (the cookie is cleared and the session deleted). */
export const POST = route({ auth: 'public' }, async ({ req, c }) => {
  const token = readCookie(req.headers.get('cookie'), SESSION_COOKIE)
  if (token) await c.accounts.signOut(token)
  return json({ ok: true }, 200, { 'set-cookie': sessionCookie('', 0, new URL(req.url).protocol === 'https:') })
})
