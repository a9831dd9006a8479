/**
 * Owner sign-in with Ethereum (EIP-4361): the browser gets a one-use nonce, the wallet signs a
 * message naming this host, and the coordinator answers with a session cookie (HttpOnly,
 * SameSite=Lax, Secure on https). The session token is random; only its sha256 is stored.
 * Signatures are checked offline (ECDSA recovery), so sign-in works with the chain off.
 */
import crypto from 'node:crypto'
import { getAddress, verifyMessage, type Hex } from 'viem'
import { parseSiweMessage, validateSiweMessage } from 'viem/siwe'
import { NimbleError, type SignInBody } from '../../lib/protocol'
import type { Ctx } from '../context'
import { sha256 } from './keys'
import type { Principal } from './principal'

export const SESSION_COOKIE = 'nimble_session'
const NONCE_TTL_MS = 10 * 60_000

export async function signIn(ctx: Ctx, body: SignInBody, host: string): Promise<{ token: string; ownerId: string; address: string; maxAgeSec: number }> {
  const bad = (message: string, field = 'message') => new NimbleError({ code: 'invalid_signature', message, field })
  let msg: ReturnType<typeof parseSiweMessage>
  try {
    msg = parseSiweMessage(body.message)
  } catch {
    throw bad('not a Sign-In with Ethereum message')
  }
  if (!msg.address || !msg.nonce || !msg.domain) throw bad('not a Sign-In with Ethereum message (address, domain and nonce are required)')
  if (msg.domain !== host) throw bad(`the message is for ${msg.domain}, but this site is ${host}: sign in again from this page`)
  const now = ctx.now()
  if (!validateSiweMessage({ message: msg, domain: host, nonce: msg.nonce, time: new Date(now) })) throw bad('the message has expired or is not yet valid: sign in again')
  const row = await ctx.db.selectFrom('siwe_nonces').selectAll().where('nonce', '=', msg.nonce).executeTakeFirst()
  if (!row || row.used_at !== null || row.created_at < now - NONCE_TTL_MS) throw bad('the sign-in nonce is unknown, used or expired: sign in again')
  const ok = await verifyMessage({ address: msg.address, message: body.message, signature: body.signature as Hex }).catch(() => false)
  if (!ok) throw bad('the signature does not match the message and address', 'signature')
  const used = await ctx.db.updateTable('siwe_nonces').set({ used_at: now }).where('nonce', '=', msg.nonce).where('used_at', 'is', null).executeTakeFirst()
  if (Number(used.numUpdatedRows) !== 1) throw bad('the sign-in nonce was already used: sign in again')
  const address = getAddress(msg.address).toLowerCase()
  await ctx.db
    .insertInto('owners')
    .values({ id: `own_${crypto.randomBytes(9).toString('base64url')}`, address, created_at: now })
    .onConflict((oc) => oc.column('address').doNothing())
    .execute()
  const owner = await ctx.db.selectFrom('owners').select('id').where('address', '=', address).executeTakeFirstOrThrow()
  const token = crypto.randomBytes(32).toString('base64url')
  const maxAgeSec = ctx.config.NIMBLE_SESSION_HOURS * 3600
  await ctx.db.deleteFrom('owner_sessions').where('expires_at', '<', now).execute()
  await ctx.db.insertInto('owner_sessions').values({ hash: sha256(token), owner_id: owner.id, created_at: now, expires_at: now + maxAgeSec * 1000 }).execute()
  ctx.log.info({ owner: owner.id, address }, `owner ${owner.id} state:signed_out=>signed_in address:${address}`)
  return { token, ownerId: owner.id, address, maxAgeSec }
}

export async function principalForSession(ctx: Ctx, token: string): Promise<Principal | null> {
  if (token.length > 200) return null
  const row = await ctx.db.selectFrom('owner_sessions').select(['owner_id', 'expires_at']).where('hash', '=', sha256(token)).executeTakeFirst()
  if (!row || Number(row.expires_at) < ctx.now()) return null
  return { ownerId: row.owner_id, admin: false, via: 'session' }
}

export async function signOut(ctx: Ctx, token: string): Promise<void> {
  await ctx.db.deleteFrom('owner_sessions').where('hash', '=', sha256(token)).execute()
}

export function readCookie(header: string | null | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null
  }
  return null
}

/** Set-Cookie for a session; Secure whenever the browser reached us over https. */
export function sessionCookie(token: string, maxAgeSec: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSec}${secure ? '; Secure' : ''}`
}
