/**
 * Turns a request's credentials into a Principal: the admin key (operators), an API key
 * (`Authorization: Bearer nmk_…`) or a session cookie from Sign-In with Ethereum.
 */
import { NimbleError } from '../../lib/protocol'
import { safeEqual } from '../auth'
import type { Ctx } from '../context'
import { principalForKey } from './keys'
import { ADMIN, type Principal } from './principal'
import { principalForSession, readCookie, SESSION_COOKIE } from './sessions'

export type Credentials = { authorization?: string | null; cookie?: string | null }

export async function authenticate(ctx: Ctx, adminKey: string, cred: Credentials): Promise<Principal> {
  const header = cred.authorization?.trim()
  if (header) {
    const m = /^Bearer\s+(.+)$/i.exec(header)
    if (!m) throw new NimbleError({ code: 'unauthorized', message: 'send Authorization: Bearer <key> (an API key from the dashboard, or the admin key)' })
    const key = m[1].trim()
    if (safeEqual(key, adminKey)) return ADMIN
    const p = await principalForKey(ctx, key)
    if (!p) throw new NimbleError({ code: 'unauthorized', message: 'unknown or revoked key: create a new API key in the dashboard' })
    return p
  }
  const token = readCookie(cred.cookie, SESSION_COOKIE)
  if (token) {
    const p = await principalForSession(ctx, token)
    if (p) return p
    throw new NimbleError({ code: 'unauthorized', message: 'your session has expired: sign in again' })
  }
  throw new NimbleError({ code: 'unauthorized', message: 'sign in with your wallet, or send Authorization: Bearer <API key>' })
}
