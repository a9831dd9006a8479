/**
 * API keys for owners: created in the dashboard, shown once, stored as sha256 only,
 * revocable. A revoked key is refused on its very next request (every request looks it up).
 */
import crypto from 'node:crypto'
import { NimbleError, type ApiKeyView, type CreatedApiKey } from '../../lib/protocol'
import type { Ctx } from '../context'
import type { ApiKeyTable } from '../store/schema'
import type { Principal } from './principal'

export const API_KEY_PREFIX = 'nmk_'

export function sha256(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex')
}

function view(r: ApiKeyTable): ApiKeyView {
  const iso = (t: number | null) => (t === null ? null : new Date(Number(t)).toISOString())
  return { id: r.id, name: r.name, prefix: r.prefix, createdAt: new Date(Number(r.created_at)).toISOString(), lastUsedAt: iso(r.last_used_at), revokedAt: iso(r.revoked_at) }
}

export async function createApiKey(ctx: Ctx, who: Principal, name: string): Promise<CreatedApiKey> {
  const key = `${API_KEY_PREFIX}${crypto.randomBytes(24).toString('base64url')}`
  const row: ApiKeyTable = { id: `key_${crypto.randomBytes(9).toString('base64url')}`, owner_id: who.ownerId, name, prefix: key.slice(0, 10), hash: sha256(key), created_at: ctx.now(), last_used_at: null, revoked_at: null }
  await ctx.db.insertInto('api_keys').values(row).execute()
  ctx.log.info({ owner: who.ownerId, apiKey: row.id }, `api_key ${row.id} state:new=>active owner:${who.ownerId}`)
  return { ...view(row), key }
}

export async function listApiKeys(ctx: Ctx, who: Principal): Promise<ApiKeyView[]> {
  const rows = await ctx.db.selectFrom('api_keys').selectAll().where('owner_id', '=', who.ownerId).orderBy('created_at', 'desc').limit(200).execute()
  return rows.map(view)
}

export async function revokeApiKey(ctx: Ctx, who: Principal, id: string): Promise<ApiKeyView> {
  const row = await ctx.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row || (row.owner_id !== who.ownerId && !who.admin)) throw new NimbleError({ code: 'not_found', message: `no API key ${id}` })
  if (row.revoked_at === null) {
    row.revoked_at = ctx.now()
    await ctx.db.updateTable('api_keys').set({ revoked_at: row.revoked_at }).where('id', '=', id).execute()
    ctx.log.info({ owner: row.owner_id, apiKey: id }, `api_key ${id} state:active=>revoked`)
  }
  return view(row)
}

/** The owner behind an API key, or null when the key is unknown or revoked. */
export async function principalForKey(ctx: Ctx, key: string): Promise<Principal | null> {
  if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) return null
  const row = await ctx.db.selectFrom('api_keys').select(['id', 'owner_id', 'revoked_at', 'last_used_at']).where('hash', '=', sha256(key)).executeTakeFirst()
  if (!row || row.revoked_at !== null) return null
  const now = ctx.now()
  // Last use to the minute is enough, and spares a write per request.
  if (row.last_used_at === null || now - Number(row.last_used_at) > 60_000) await ctx.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', row.id).execute()
  return { ownerId: row.owner_id, admin: false, via: 'key', keyId: row.id }
}
