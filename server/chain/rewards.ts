/** An address's rewards: earned so far, the latest published cumulative amount and proof, what the distributor already paid. */
import type { Address, Hex } from 'viem'
import { rewardDistributorAbi } from '../../lib/chain/artifacts'
import { proofFor, type TreeDump } from '../../lib/chain/tree'
import type { RewardsView } from '../../lib/protocol'
import type { Ctx } from '../context'
import { earnedBalances } from './balances'
import type { ChainService } from './service'
import type { Settlement } from './settlement'

export async function rewardsView(ctx: Ctx, chain: ChainService, settlement: Settlement, address: Address): Promise<RewardsView> {
  const a = address.toLowerCase() as Address
  const [earned] = await earnedBalances(ctx.db, ctx.config.prices.volunteerPerTflop, a)
  const last = await settlement.latestConfirmed()
  const leaf = last ? proofFor(JSON.parse(last.tree_json) as TreeDump, a) : null
  const claimed = await chain.pub.readContract({ address: chain.info.distributor, abi: rewardDistributorAbi, functionName: 'claimed', args: [a] })
  const cumulative = leaf?.amount ?? 0n
  return {
    address: a,
    earned: (earned?.amount ?? 0n).toString(),
    cumulativeAmount: cumulative.toString(),
    claimed: claimed.toString(),
    claimable: (cumulative > claimed ? cumulative - claimed : 0n).toString(),
    epoch: last?.epoch ?? null,
    root: (last?.root as Hex) ?? null,
    proof: leaf?.proof ?? [],
  }
}
