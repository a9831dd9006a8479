import type { NetworkView } from '@/lib/protocol'
import { BarChart } from '../charts/bar-chart'

/** Devices ever seen by trust tier: new devices' work is replicated, trusted ones are spot-checked, banned ones get nothing. */
export function TrustSummary({ trust }: { trust: NonNullable<NetworkView['trust']> }) {
  return (
    <section className="card" aria-labelledby="trust">
      <h2 id="trust">Trust</h2>
      <BarChart
        title="Devices by trust"
        testId="trust-chart"
        data={[
          { label: 'new', value: trust.new },
          { label: 'trusted', value: trust.trusted },
          { label: 'banned', value: trust.banned },
        ]}
      />
    </section>
  )
}
