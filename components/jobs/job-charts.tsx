'use client'

import { useMemo } from 'react'
import type { JobView, RoundPoint } from '@/lib/protocol'
import { LineChart, type LineSeries } from '../charts/line-chart'
import { formatNumber } from '../format'

const pct = (v: number) => `${Math.round(v * 100)}%`
const num3 = (v: number) => formatNumber(v, 3)
const EMPTY = 'The curve appears after the first round is evaluated.'

type Getter = (p: RoundPoint) => number | null | undefined
const line = (history: RoundPoint[], label: string, color: number, pick: Getter, dashed = false): LineSeries => ({
  label,
  color: `var(--series-${color})`,
  dashed,
  values: history.map((p) => pick(p) ?? null),
})
const hasAny = (s: LineSeries[]) => s.some((l) => l.values.some((v) => v !== null))

/** Curves per round. Classification: loss, accuracy, val F1/AUC. Regression: loss (MSE), val MAE, val R². */
export function JobCharts({ job }: { job: Pick<JobView, 'history' | 'task' | 'bestRound'> }) {
  const { history, task, bestRound } = job
  const c = useMemo(() => {
    const x = history.map((p) => p.round)
    return {
      x,
      loss: [line(history, 'Training loss', 1, (p) => p.loss), line(history, 'Validation loss', 2, (p) => p.valLoss, true)],
      accuracy: [line(history, 'Training accuracy', 3, (p) => p.accuracy), line(history, 'Validation accuracy', 4, (p) => p.valAccuracy, true)],
      f1auc: [line(history, 'Validation F1', 1, (p) => p.valF1), line(history, 'Validation AUC', 3, (p) => p.valAuc, true)],
      mae: [line(history, 'Validation MAE', 3, (p) => p.valMae)],
      // Seconds each round took (from consecutive round timestamps): the fleet's pace.
      pace: [
        {
          label: 'Seconds per round',
          color: 'var(--series-3)',
          values: history.map((p, i) => (i === 0 ? null : Math.max(0, (Date.parse(p.at) - Date.parse(history[i - 1]!.at)) / 1000))),
        },
        line(history, 'Devices', 4, (p) => p.devices, true),
      ],
      r2: [line(history, 'Validation R²', 4, (p) => p.valR2)],
    }
  }, [history])
  const regression = task === 'regression'
  const marks = bestRound !== null && c.x.includes(bestRound) ? [{ x: bestRound, label: 'best' }] : []

  const pace = c.pace[0]!.values.some((v) => v !== null) ? (
    <section className="card">
      <LineChart title="Throughput" x={c.x} series={c.pace} xLabel="Round" yLabel="Seconds / devices" formatY={num3} emptyText={EMPTY} testId="throughput-chart" />
    </section>
  ) : null

  return (
    <div className="grid-2">
      <section className="card">
        <LineChart
          title={regression ? 'Loss (MSE)' : 'Loss'}
          x={c.x}
          series={c.loss}
          xLabel="Round"
          yLabel={regression ? 'MSE' : 'Loss'}
          formatY={num3}
          emptyText={EMPTY}
          testId="loss-chart"
          marks={marks}
        />
      </section>
      {regression ? (
        <>
          <section className="card">
            <LineChart title="Validation MAE" x={c.x} series={c.mae} xLabel="Round" yLabel="MAE" formatY={num3} emptyText={EMPTY} testId="mae-chart" />
          </section>
          <section className="card">
            <LineChart title="Validation R²" x={c.x} series={c.r2} xLabel="Round" yLabel="R²" formatY={num3} emptyText={EMPTY} testId="r2-chart" />
          </section>
        </>
      ) : (
        <>
          <section className="card">
            <LineChart title="Accuracy" x={c.x} series={c.accuracy} xLabel="Round" yLabel="Accuracy" yDomain={[0, 1]} formatY={pct} emptyText={EMPTY} testId="accuracy-chart" />
          </section>
          {hasAny(c.f1auc) && (
            <section className="card">
              <LineChart title="Validation F1 and AUC" x={c.x} series={c.f1auc} xLabel="Round" yLabel="Score" yDomain={[0, 1]} formatY={num3} emptyText={EMPTY} testId="f1-auc-chart" />
            </section>
          )}
        </>
      )}
      {pace}
    </div>
  )
}
