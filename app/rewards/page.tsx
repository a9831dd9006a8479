import type { Metadata } from 'next'
import { RewardsCard } from '@/components/rewards/rewards-card'

export const metadata: Metadata = { title: 'Rewards' }

export default function RewardsPage() {
  return (
    <>
      <div className="page-head">
        <h1>Rewards</h1>
        <p>
          Verified work earns NMBL tokens: the coordinator's own estimate of each accepted task's FLOPs times the rate per
          TFLOP. Each epoch it publishes everyone's cumulative total as one Merkle root on chain; claim whenever you like,
          and the contract pays the difference from what you already claimed.
        </p>
      </div>
      <RewardsCard />
    </>
  )
}
