'use client'

import type { NetworkView } from '@/lib/protocol'
import { BarChart } from '../charts/bar-chart'
import { LineChart } from '../charts/line-chart'
import { formatNumber } from '../format'
import { tasksPerMinute, type NetworkSample } from './use-network-history'

const count = (values: string[]) => {
  const m = new Map<string, number>()
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1)
  return [...m].map(([label, value]) => ({ label, value })).sort((a, b) => b.value - a.value)
}

/** Devices by class and by backend, and the fleet's speed and pace since this page opened. */
export function NetworkCharts({ network, history }: { network: NetworkView; history: NetworkSample[] }) {
  const t0 = history[0]?.at ?? 0
  const x = history.map((s) => Math.round((s.at - t0) / 1000))
  return (
    <>
      <div className="grid-2">
        <section className="card" aria-labelledby="by-class">
          <h2 id="by-class">Devices by class</h2>
          <BarChart title="Devices by class" testId="class-chart" data={count(network.devices.map((d) => d.class ?? 'unknown'))} />
        </section>
        <section className="card" aria-labelledby="by-backend">
          <h2 id="by-backend">Devices by backend</h2>
          <BarChart title="Devices by backend" testId="backend-chart" data={Object.entries(network.byBackend).map(([label, value]) => ({ label, value }))} />
        </section>
      </div>
      <section className="card" aria-labelledby="over-time">
        <h2 id="over-time" className="visually-hidden">
          Throughput over time
        </h2>
        <div className="grid-2">
          <LineChart
            title="Fleet compute (GFLOP/s)"
            x={x}
            series={[{ label: 'Total GFLOP/s', color: 'var(--series-1)', values: history.map((s) => s.gflops) }]}
            xLabel="Seconds"
            yLabel="GFLOP/s"
            formatY={(v) => formatNumber(v, 1)}
            formatX={(v) => `${v}s`}
            testId="gflops-history"
            emptyText="Collecting from live updates…"
          />
          <LineChart
            title="Tasks finished per minute"
            x={x}
            series={[{ label: 'Tasks / min', color: 'var(--series-3)', values: tasksPerMinute(history) }]}
            xLabel="Seconds"
            yLabel="Tasks / min"
            formatY={(v) => formatNumber(v, 1)}
            formatX={(v) => `${v}s`}
            testId="tasks-history"
            emptyText="Collecting from live updates…"
          />
        </div>
      </section>
    </>
  )
}
