'use client'

import { BarChart } from '../charts/bar-chart'
import { LiveIndicator } from '../live-indicator'
import { OwnerKey } from '../owner-key'
import { DeviceTable } from './device-table'
import { NetworkCharts } from './network-charts'
import { NetworkFigures } from './network-figures'
import { useNetworkHistory } from './use-network-history'
import { TrustSummary } from './trust-summary'
import { useNetworkLive } from './use-network-live'

/** The /network page: live figures, devices per backend and the device list. */
export function NetworkLive() {
  const { network, state, error } = useNetworkLive()
  const history = useNetworkHistory(network)
  return (
    <div className="stack">
      <div className="row">
        <LiveIndicator state={state} />
        {error && (
          <span className="field-error" role="alert">
            {error}
          </span>
        )}
      </div>
      {state === 'offline' && <OwnerKey />}
      {!network ? (
        <p className="muted" aria-live="polite">
          {state === 'connected' ? 'Loading the network…' : 'Connecting to the coordinator…'}
        </p>
      ) : (
        <>
          <NetworkFigures network={network} showQueue />
          <NetworkCharts network={network} history={history} />
          <section className="card" aria-labelledby="queue">
            <h2 id="queue">Task queue</h2>
            <BarChart
              title="Task queue"
              data={[
                { label: 'waiting', value: network.tasks.ready },
                { label: 'running', value: network.tasks.leased },
                { label: 'done', value: network.tasks.done },
              ]}
            />
          </section>
          {network.trust && <TrustSummary trust={network.trust} />}
          <section className="card" aria-labelledby="devices">
            <h2 id="devices">Devices online</h2>
            <DeviceTable devices={network.devices} />
          </section>
        </>
      )}
    </div>
  )
}
