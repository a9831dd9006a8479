'use client'

import { WalletPanel } from './wallet-panel'
import { WalletProvider } from './wallet-provider'

/** The wallet panel with its providers, as one card (used on /rewards and /contribute). */
export function RewardsCard() {
  return (
    <section className="card" aria-labelledby="rewards-title">
      <h2 id="rewards-title">Rewards</h2>
      <WalletProvider>{(info) => <WalletPanel info={info} />}</WalletProvider>
    </section>
  )
}
