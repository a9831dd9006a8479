/**
 * Leaderboard: devices ranked by verified credit (the coordinator's own FLOP estimate of
 * accepted work, from the credits table). Public, so it returns names and credit only.
 * Reads: credits, devices. Writes: nothing.
 */
import type { LeaderboardView } from '../lib/protocol'
import type { Ctx } from './context'

const TOP = 10

export async function leaderboard(ctx: Ctx, deviceId?: string): Promise<LeaderboardView> {
  const rate = ctx.config.prices.volunteerPerTflop
  const rows = await ctx.db
    .selectFrom('credits')
    .innerJoin('devices', 'devices.id', 'credits.device_id')
    .select(['credits.device_id as id', 'devices.name as name', (eb) => eb.fn.sum<number>('credits.flops').as('flops')])
    .groupBy(['credits.device_id', 'devices.name'])
    .orderBy('flops', 'desc')
    .orderBy('credits.device_id')
    .execute()
  const entry = (r: (typeof rows)[number], i: number) => ({ rank: i + 1, name: r.name, creditFlops: Number(r.flops), tokens: (Number(r.flops) / 1e12) * rate })
  const at = deviceId ? rows.findIndex((r) => r.id === deviceId) : -1
  return { top: rows.slice(0, TOP).map(entry), you: at >= 0 ? entry(rows[at], at) : null }
}
