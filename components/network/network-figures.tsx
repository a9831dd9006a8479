import type { NetworkView } from '@/lib/protocol'
import { formatGflops } from '../format'
import { Stat } from '../stat'

/** The headline numbers of the network. */
export function NetworkFigures({ network, showQueue = false }: { network: NetworkView; showQueue?: boolean }) {
  return (
    <div className="stats">
      <Stat label="Devices online" value={network.devicesOnline} testId="devices-online" />
      <Stat label="Total compute" value={formatGflops(network.totalGflops)} testId="total-gflops" />
      {showQueue && (
        <>
          <Stat label="Tasks waiting" value={network.tasks.ready} testId="tasks-ready" />
          <Stat label="Tasks running" value={network.tasks.leased} testId="tasks-leased" />
          <Stat label="Tasks done" value={network.tasks.done} testId="tasks-total-done" />
        </>
      )}
    </div>
  )
}
