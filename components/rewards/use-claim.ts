/** Claiming: send RewardDistributor.claim with the proof the coordinator published, then follow the transaction until mined. */
import { useWaitForTransactionReceipt, useWriteContract } from 'wagmi'
import { rewardDistributorAbi } from '@/lib/chain/artifacts'
import type { ChainInfoView, RewardsView } from '@/lib/protocol'

export function useClaim(info: ChainInfoView) {
  const write = useWriteContract()
  const receipt = useWaitForTransactionReceipt({ hash: write.data, chainId: info.chainId })
  const claim = (r: RewardsView) =>
    write.mutate({
      chainId: info.chainId,
      address: info.distributor as `0x${string}`,
      abi: rewardDistributorAbi,
      functionName: 'claim',
      args: [r.address as `0x${string}`, BigInt(r.cumulativeAmount), r.root as `0x${string}`, r.proof as `0x${string}`[]],
    })
  return { claim, write, receipt }
}
