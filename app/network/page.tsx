import type { Metadata } from 'next'
import { NetworkLive } from '@/components/network/network-live'

export const metadata: Metadata = { title: 'Network' }

export default function NetworkPage() {
  return (
    <>
      <div className="page-head">
        <h1>Network</h1>
        <p>Every device donating compute right now, how fast it is, and how much work is waiting.</p>
      </div>
      <NetworkLive />
    </>
  )
}
