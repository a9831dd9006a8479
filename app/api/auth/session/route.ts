import { isNimbleError, SessionView, WhoAmI } from '@/lib/protocol'
import { route } from '../../_lib/http'

export const dynamic = 'force-dynamic'
/**
 * Who this browser is (an API key in Authorization, or the session cookie of a wallet sign-in):
 * `{signedIn:false}` rather than a 401, so a page asks on every load without logging an error.
 */
export const GET = route({ auth: 'public' }, async ({ req, c }) => {
  const cred = { authorization: req.headers.get('authorization'), cookie: req.headers.get('cookie') }
  if (!cred.authorization && !cred.cookie) return SessionView.parse({ signedIn: false })
  try {
    const who = await c.authenticate(cred)
    return SessionView.parse({ signedIn: true, me: WhoAmI.parse(await c.accounts.whoami(who)) })
  } catch (e) {
    if (isNimbleError(e) && (e as { code: string }).code === 'unauthorized') return SessionView.parse({ signedIn: false, reason: (e as Error).message })
    throw e
  }
})
