/**
 * Trust store: a device's trust state (lib/verify/trust.ts) read from and written to the
 * `devices` row, and bans.
 *
 * Reads:  devices (trust_streak, tasks_invalid, trust_expired, banned_at, address), bans.
 * Writes: devices trust columns; on a ban: devices.banned_at for the device and every device
 *         of its wallet, `bans` rows (device:<id>, wallet:<address>), and their pending
 *         (uncredited) results pending=>invalid.
 * Every trust transition is logged: `device d7 state:new=>trusted`.
 */
import { applyEvent, tier, type TrustEvent, type TrustPolicy, type TrustState } from '../lib/verify/trust'
import type { Config } from './config'
import type { Ctx } from './context'
import { transition } from './log'
import type { DeviceRow } from './store/schema'

export function trustPolicy(config: Config): TrustPolicy {
  return {
    trustAfter: config.NIMBLE_TRUST_AFTER,
    replicateProbability: config.NIMBLE_REPLICATE_PROBABILITY,
    banAfterInvalid: config.NIMBLE_BAN_AFTER_INVALID,
    banAfterExpired: config.NIMBLE_BAN_AFTER_EXPIRED,
  }
}

export function trustOf(d: Pick<DeviceRow, 'trust_streak' | 'tasks_invalid' | 'trust_expired' | 'banned_at'>): TrustState {
  return { streak: d.trust_streak, invalid: d.tasks_invalid, expired: d.trust_expired, banned: d.banned_at !== null }
}

export async function loadTrust(ctx: Ctx, deviceId: string): Promise<TrustState | null> {
  const d = await ctx.db.selectFrom('devices').select(['trust_streak', 'tasks_invalid', 'trust_expired', 'banned_at']).where('id', '=', deviceId).executeTakeFirst()
  return d ? trustOf(d) : null
}

/**
 * Applies an event to a device, `times` over (several leases of one device lapsing in one
 * sweep; a ban ends them). The counters tasks_valid/tasks_invalid/tasks_expired are the
 * caller's (they are bumped in the same transaction as the instance); this writes the trust
 * columns, logs tier changes and bans. Returns whether the device is banned now.
 */
export async function recordTrust(ctx: Ctx, deviceId: string, event: TrustEvent, reason: string, times = 1): Promise<boolean> {
  const policy = trustPolicy(ctx.config)
  const row = await ctx.db.selectFrom('devices').select(['trust_streak', 'tasks_invalid', 'trust_expired', 'banned_at', 'address']).where('id', '=', deviceId).executeTakeFirst()
  if (!row) return false
  // tasks_invalid was already counted for these events by the caller.
  const before = trustOf({ ...row, tasks_invalid: event === 'invalid' ? row.tasks_invalid - times : row.tasks_invalid })
  let state = before
  let banned = false
  for (let k = 0; k < times && !banned; k++) ({ state, banned } = applyEvent(state, event, policy))
  await ctx.db.updateTable('devices').set({ trust_streak: state.streak, trust_expired: state.expired }).where('id', '=', deviceId).execute()
  await trustMoved(ctx, { id: deviceId, address: row.address }, before, state, banned ? `${event === 'expired' ? `${state.expired} missed deadlines` : `${state.invalid} invalid results`}; last: ${reason}` : null)
  return state.banned
}

/**
 * After a device's trust went from `before` to `after` (already written): bans it, with the
 * reason, when `banFor` is given; otherwise logs a change of tier. recordTrust ends here, and so
 * does the verifier for trust earned in the same statement as a device's counters.
 */
export async function trustMoved(ctx: Ctx, device: { id: string; address: string | null }, before: TrustState, after: TrustState, banFor: string | null): Promise<void> {
  if (banFor !== null) {
    await ban(ctx, device.id, device.address, banFor.slice(0, 500))
    return
  }
  const policy = trustPolicy(ctx.config)
  const [from, to] = [tier(before, policy), tier(after, policy)]
  if (from !== to) transition(ctx.log, 'device', device.id, from, to, { trust: after.streak, invalid: after.invalid })
}

/** Bans a device and its wallet (every device paid to the same address). Idempotent. */
export async function ban(ctx: Ctx, deviceId: string, address: string | null, reason: string): Promise<string[]> {
  const now = ctx.now()
  const ids = await ctx.db.transaction().execute(async (trx) => {
    const devices = address ? await trx.selectFrom('devices').select('id').where((eb) => eb.or([eb('id', '=', deviceId), eb('address', '=', address)])).execute() : [{ id: deviceId }]
    const list = devices.map((d) => d.id)
    // Results still waiting for a quorum earn nothing and count for nothing. Instances before
    // devices: the order the verifier locks them in when it settles a task, so a ban and a
    // settlement cannot wait on each other on PostgreSQL.
    await trx.updateTable('instances').set({ state: 'invalid', finished_at: now, error: 'discarded: the device was banned' }).where('device_id', 'in', list).where('state', '=', 'pending').execute()
    await trx.updateTable('devices').set({ banned_at: now, ban_reason: reason, trust_streak: 0 }).where('id', 'in', list).where('banned_at', 'is', null).execute()
    const subjects = [...list.map((id) => `device:${id}`), ...(address ? [`wallet:${address}`] : [])]
    await trx.insertInto('bans').values(subjects.map((subject) => ({ subject, reason, created_at: now }))).onConflict((oc) => oc.column('subject').doNothing()).execute()
    return list
  })
  for (const id of ids) transition(ctx.log, 'device', id, 'allowed', 'banned', { wallet: address, reason: reason.slice(0, 120) })
  ctx.bus.emit('network:changed')
  return ids
}

/** Why this device (or its wallet) may not join, or null. */
export async function banOf(ctx: Ctx, deviceId: string | undefined, address: string | undefined): Promise<string | null> {
  const subjects = [...(deviceId ? [`device:${deviceId}`] : []), ...(address ? [`wallet:${address.toLowerCase()}`] : [])]
  if (subjects.length === 0) return null
  const row = await ctx.db.selectFrom('bans').select(['subject', 'reason']).where('subject', 'in', subjects).executeTakeFirst()
  return row ? `${row.subject.startsWith('wallet:') ? 'this payout wallet' : 'this device'} is banned: ${row.reason}` : null
}
