'use client'

import { useMemo } from 'react'
import type { RoundPoint } from '@/lib/protocol'
import { LineChart } from '../charts/line-chart'
import { formatNumber } from '../format'

const pct = (v: number) => `${Math.round(v * 100)}%`
const EMPTY = 'The curve appears after the first round is evaluated.'

/** Loss and accuracy per round, training and validation. */
export function JobCharts({ history }: { history: RoundPoint[] }) {
  const { x, loss, accuracy } = useMemo(() => {
    const x = history.map((p) => p.round)
    return {
      x,
      loss: [
        { label: 'Training loss', color: 'var(--series-1)', values: history.map((p) => p.loss) },
        { label: 'Validation loss', color: 'var(--series-2)', dashed: true, values: history.map((p) => p.valLoss) },
      ],
      accuracy: [
        { label: 'Training accuracy', color: 'var(--series-3)', values: history.map((p) => p.accuracy) },
        { label: 'Validation accuracy', color: 'var(--series-4)', dashed: true, values: history.map((p) => p.valAccuracy) },
      ],
    }
  }, [history])

  return (
    <div className="grid-2">
      <section className="card">
        <LineChart title="Loss" x={x} series={loss} xLabel="Round" yLabel="Loss" formatY={(v) => formatNumber(v, 3)} emptyText={EMPTY} testId="loss-chart" />
      </section>
      <section className="card">
        <LineChart
          title="Accuracy"
          x={x}
          series={accuracy}
          xLabel="Round"
          yLabel="Accuracy"
          yDomain={[0, 1]}
          formatY={pct}
          emptyText={EMPTY}
          testId="accuracy-chart"
        />
      </section>
    </div>
  )
}
