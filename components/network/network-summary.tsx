'use client'

import { formatGflops, formatTokens } from '../format'
import { LiveIndicator } from '../live-indicator'
import { Stat } from '../stat'
import { useNetworkLive } from './use-network-live'

/** Landing-page figures, pushed over /live (`network:update`), not polled. */
export function NetworkSummary() {
  const { network, state } = useNetworkLive()
  return (
    <section aria-labelledby="network-now" className="stack" style={{ gap: '0.75rem' }}>
      <div className="row">
        <h2 id="network-now" style={{ margin: 0 }}>
          The network right now
        </h2>
        <LiveIndicator state={state} />
      </div>
      {network ? (
        <div className="stats">
          <Stat label="Devices online" value={network.devicesOnline} testId="devices-online" />
          <Stat label="Total compute" value={formatGflops(network.totalGflops)} testId="total-gflops" />
          <Stat label="Jobs running" value={network.jobsRunning ?? 0} testId="jobs-running" />
          <Stat label="Tokens earned by volunteers" value={formatTokens(network.tokensPaid ?? 0)} testId="tokens-paid" />
        </div>
      ) : (
        <p className="muted">{state === 'offline' ? 'Live figures are unavailable right now.' : 'Loading live figures…'}</p>
      )}
    </section>
  )
}
