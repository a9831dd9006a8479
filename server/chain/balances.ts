/**
 * What every linked address has earned: its devices' verified credit (credits rows, the
 * coordinator's own FLOP estimates) summed by the address the device has NOW, so credit
 * earned before linking counts. Amounts follow lib/chain/amounts.ts's single rounding rule.
 */
import type { Kysely } from 'kysely'
import { creditFlops, tokensForFlops } from '../../lib/chain/amounts'
import type { RewardEntry } from '../../lib/chain/tree'
import type { Database } from '../store/schema'

export type Balance = RewardEntry & { flops: bigint }

export async function earnedBalances(db: Kysely<Database>, ratePerTflop: number, address?: string): Promise<Balance[]> {
  let q = db.selectFrom('credits').innerJoin('devices', 'devices.id', 'credits.device_id').select(['devices.address', 'credits.flops']).where('devices.address', 'is not', null)
  if (address) q = q.where('devices.address', '=', address.toLowerCase())
  const flops = new Map<string, bigint>()
  for (const r of await q.execute()) {
    const a = r.address!.toLowerCase()
    flops.set(a, (flops.get(a) ?? 0n) + creditFlops(r.flops))
  }
  return [...flops]
    .map(([a, f]) => ({ address: a as `0x${string}`, flops: f, amount: tokensForFlops(f, ratePerTflop) }))
    .sort((x, y) => (x.address < y.address ? -1 : 1))
}
