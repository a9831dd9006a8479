'use client'

import { useId, useMemo, useState, type KeyboardEvent, type PointerEvent } from 'react'
import { linear, niceDomain, ticks } from './ticks'
import { useWidth } from './use-width'

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
  emptyText?: string
  testId?: string
  /** Vertical markers, e.g. the best round kept by early stopping. */
  marks?: { x: number; label: string }[]
}

const H = 240
const M = { top: 12, right: 16, bottom: 40, left: 56 }

function pathsFor(values: (number | null)[], x: number[], sx: (v: number) => number, sy: (v: number) => number): string {
  let d = ''
  let pen = false
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      pen = false
      return
    }
    d += `${pen ? 'L' : 'M'}${sx(x[i]!).toFixed(1)},${sy(v).toFixed(1)}`
    pen = true
  })
  return d
}

/** A small responsive SVG line chart with axes, ticks, legend and a hover/keyboard tooltip. */
export function LineChart({ title, x, series, xLabel, yLabel, yDomain, formatY = (v) => String(v), emptyText, testId, marks = [] }: Props) {
  const id = useId()
  const [hover, setHover] = useState<number | null>(null)
  const [boxRef, W] = useWidth<HTMLDivElement>(640)

  const geometry = useMemo(() => {
    const xs = x.length ? x : [0]
    const xMin = Math.min(...xs)
    const xMax = Math.max(...xs)
    const xDom: [number, number] = xMin === xMax ? [xMin - 1, xMax + 1] : [xMin, xMax]
    const all = series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v))
    const yDom = yDomain ?? niceDomain(Math.min(0, ...all), all.length ? Math.max(...all) : 1)
    const sx = linear(xDom, [M.left, W - M.right])
    const sy = linear(yDom, [H - M.bottom, M.top])
    const xTicks = ticks(xDom[0], xDom[1], Math.max(2, Math.floor(W / 80))).filter((t) => Number.isInteger(t))
    const yTicks = ticks(yDom[0], yDom[1], 5)
    return { sx, sy, xTicks, yTicks, yDom }
  }, [x, series, yDomain, W])

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

  const { sx, sy, xTicks, yTicks } = geometry

  function nearest(clientX: number, rect: DOMRect): number {
    const px = ((clientX - rect.left) / rect.width) * W
    let best = 0
    x.forEach((v, i) => {
      if (Math.abs(sx(v) - px) < Math.abs(sx(x[best]!) - px)) best = i
    })
    return best
  }

  function onPointerMove(e: PointerEvent<SVGSVGElement>) {
    setHover(nearest(e.clientX, e.currentTarget.getBoundingClientRect()))
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault()
      const step = e.key === 'ArrowRight' ? 1 : -1
      setHover((h) => Math.min(x.length - 1, Math.max(0, (h ?? (step > 0 ? -1 : x.length)) + step)))
    } else if (e.key === 'Escape') setHover(null)
  }

  const last = x.length - 1
  const summary = series
    .map((s) => `${s.label} ${s.values[last] === null || s.values[last] === undefined ? 'n/a' : formatY(s.values[last]!)}`)
    .join(', ')
  const marked = marks.map((m) => `${m.label} at ${xLabel} ${m.x}`).join(', ')

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
      </figcaption>
      <div
        ref={boxRef}
        tabIndex={0}
        role="group"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-desc`}
        onKeyDown={onKeyDown}
        onBlur={() => setHover(null)}
        style={{ position: 'relative' }}
      >
        <p id={`${id}-desc`} className="visually-hidden">
          {`${x.length} points from ${xLabel} ${x[0]} to ${x[last]}. Latest: ${summary}.${marked ? ` Marked: ${marked}.` : ''} Use the arrow keys to read each point.`}
        </p>
        <svg viewBox={`0 0 ${W} ${H}`} aria-hidden="true" onPointerMove={onPointerMove} onPointerLeave={() => setHover(null)}>
          <g className="chart-grid">
            {yTicks.map((t) => (
              <line key={t} x1={M.left} x2={W - M.right} y1={sy(t)} y2={sy(t)} />
            ))}
          </g>
          <g className="chart-axis">
            <line x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} />
            <line x1={M.left} x2={M.left} y1={M.top} y2={H - M.bottom} />
            {xTicks.map((t) => (
              <g key={t} transform={`translate(${sx(t)},${H - M.bottom})`}>
                <line y2={5} />
                <text y={18} textAnchor="middle">
                  {t}
                </text>
              </g>
            ))}
            {yTicks.map((t) => (
              <g key={t} transform={`translate(${M.left},${sy(t)})`}>
                <line x2={-5} />
                <text x={-8} dy="0.32em" textAnchor="end">
                  {formatY(t)}
                </text>
              </g>
            ))}
            <text x={(M.left + W - M.right) / 2} y={H - 4} textAnchor="middle">
              {xLabel}
            </text>
            <text transform={`translate(14,${(M.top + H - M.bottom) / 2}) rotate(-90)`} textAnchor="middle">
              {yLabel}
            </text>
          </g>
          {series.map((s) => (
            <g key={s.label}>
              <path
                d={pathsFor(s.values, x, sx, sy)}
                fill="none"
                stroke={s.color}
                strokeWidth={2}
                strokeDasharray={s.dashed ? '6 4' : undefined}
                strokeLinejoin="round"
                strokeLinecap="round"
              />
              {x.length <= 40 &&
                s.values.map((v, i) =>
                  v === null || !Number.isFinite(v) ? null : <circle key={i} cx={sx(x[i]!)} cy={sy(v)} r={2.5} fill={s.color} />,
                )}
            </g>
          ))}
          {marks.map((m) => (
            <g key={`${m.label}-${m.x}`} className="chart-mark" data-testid="chart-mark" data-x={m.x}>
              <line x1={sx(m.x)} x2={sx(m.x)} y1={M.top} y2={H - M.bottom} />
              <text x={sx(m.x) + 4} y={M.top + 10}>
                {m.label}
              </text>
            </g>
          ))}
          {hover !== null && (
            <g>
              <line x1={sx(x[hover]!)} x2={sx(x[hover]!)} y1={M.top} y2={H - M.bottom} stroke="var(--muted)" strokeDasharray="3 3" />
              {series.map((s) => {
                const v = s.values[hover]
                return v === null || v === undefined || !Number.isFinite(v) ? null : (
                  <circle key={s.label} cx={sx(x[hover]!)} cy={sy(v)} r={5} fill="var(--surface)" stroke={s.color} strokeWidth={2} />
                )
              })}
            </g>
          )}
        </svg>
        {hover !== null && (
          <div
            className="chart-tooltip"
            role="status"
            aria-live="polite"
            style={{ left: `${Math.min(85, Math.max(15, (sx(x[hover]!) / W) * 100))}%` }}
          >
            <strong>
              {xLabel} {x[hover]}
            </strong>
            {series.map((s) => {
              const v = s.values[hover]
              return (
                <div key={s.label}>
                  <span style={{ color: s.color }}>●</span> {s.label}: {v === null || v === undefined ? '—' : formatY(v)}
                </div>
              )
            })}
          </div>
        )}
      </div>
    </figure>
  )
}
