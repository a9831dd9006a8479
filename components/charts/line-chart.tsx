'use client'
/**
 * Lines over a shared x axis (rounds, seconds), drawn with recharts. The caption names the
 * series; a visually hidden sentence gives the latest values to screen readers, and recharts'
 * accessibility layer lets a keyboard walk the points (arrow keys) with the tooltip.
 */
import { useId } from 'react'
import { CartesianGrid, Line, LineChart as ReLineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'

export type LineSeries = {
  label: string
  /** A CSS colour, e.g. `var(--series-1)`. */
  color: string
  dashed?: boolean
  /** One value per x; null leaves a gap. */
  values: (number | null)[]
}

type Props = {
  title: string
  x: number[]
  series: LineSeries[]
  xLabel: string
  yLabel: string
  /** Fixed y range (e.g. [0, 1] for accuracy); otherwise fitted to the data from 0. */
  yDomain?: [number, number]
  formatY?: (v: number) => string
  formatX?: (v: number) => string
  emptyText?: string
  testId?: string
  /** Vertical markers, e.g. the best round kept by early stopping. */
  marks?: { x: number; label: string }[]
  height?: number
}

const AXIS = { stroke: 'var(--border)', tick: { fill: 'var(--muted)', fontSize: 11 } }
const TOOLTIP = {
  contentStyle: { background: 'var(--surface)', border: '1px solid var(--border)', borderRadius: 8, color: 'var(--text)' },
  labelStyle: { color: 'var(--muted)' },
}

export function LineChart({ title, x, series, xLabel, yLabel, yDomain, formatY = (v) => String(v), formatX = (v) => String(v), emptyText, testId, marks = [], height = 240 }: Props) {
  const id = useId()
  if (x.length === 0) {
    return (
      <figure className="chart" data-testid={testId}>
        <figcaption>
          <h3>{title}</h3>
        </figcaption>
        <p className="chart-empty">{emptyText ?? 'No data yet.'}</p>
      </figure>
    )
  }
  const data = x.map((xv, i) => Object.fromEntries([['x', xv], ...series.map((s, j) => [`s${j}`, s.values[i] ?? null])]))
  const last = x.length - 1
  const summary = series.map((s) => `${s.label} ${s.values[last] === null || s.values[last] === undefined ? 'n/a' : formatY(s.values[last]!)}`).join(', ')

  return (
    <figure className="chart" data-testid={testId} style={{ margin: 0 }}>
      <figcaption>
        <h3 id={`${id}-title`}>{title}</h3>
        <ul className="chart-legend">
          {series.map((s) => (
            <li key={s.label} style={{ color: s.color }}>
              <span className={`swatch${s.dashed ? ' swatch-dashed' : ''}`} style={{ background: s.dashed ? undefined : s.color }} />
              <span style={{ color: 'var(--text)' }}>{s.label}</span>
            </li>
          ))}
        </ul>
        <span className="visually-hidden">
          At {xLabel} {formatX(x[last]!)}: {summary}.
        </span>
      </figcaption>
      <div aria-labelledby={`${id}-title`} role="group">
        <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 520, height }}>
          <ReLineChart data={data} margin={{ top: 8, right: 16, bottom: 16, left: 8 }}>
            <CartesianGrid stroke="var(--border)" strokeDasharray="2 4" />
            <XAxis
              dataKey="x"
              type="number"
              domain={['dataMin', 'dataMax']}
              allowDecimals={false}
              tickFormatter={formatX}
              label={{ value: xLabel, position: 'insideBottom', offset: -8, fill: 'var(--muted)', fontSize: 12 }}
              {...AXIS}
            />
            <YAxis
              domain={yDomain ?? [(min: number) => Math.min(0, min), 'auto']}
              tickFormatter={formatY}
              width={56}
              label={{ value: yLabel, angle: -90, position: 'insideLeft', fill: 'var(--muted)', fontSize: 12 }}
              {...AXIS}
            />
            <Tooltip
              {...TOOLTIP}
              labelFormatter={(v) => `${xLabel} ${formatX(Number(v))}`}
              formatter={(v, name) => [typeof v === 'number' ? formatY(v) : String(v), series[Number(String(name).slice(1))]?.label ?? String(name)]}
            />
            {marks.map((m) => (
              <ReferenceLine key={m.label} x={m.x} stroke="var(--muted)" strokeDasharray="4 3" label={{ value: m.label, position: 'top', fill: 'var(--muted)', fontSize: 11 }} />
            ))}
            {series.map((s, j) => (
              <Line
                key={s.label}
                dataKey={`s${j}`}
                name={`s${j}`}
                stroke={s.color}
                strokeWidth={2}
                strokeDasharray={s.dashed ? '6 4' : undefined}
                dot={x.length < 40 ? { r: 2.5, fill: s.color, stroke: s.color } : false}
                isAnimationActive={false}
                connectNulls={false}
              />
            ))}
          </ReLineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  )
}
