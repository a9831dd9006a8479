import { useId } from 'react'
import { linear } from './ticks'

const S = 300
const M = { top: 12, right: 12, bottom: 40, left: 48 }
const TICKS = [0, 0.25, 0.5, 0.75, 1]

/** A ROC curve: true- against false-positive rate, with the chance diagonal and the AUC in the title. */
export function RocChart({ fpr, tpr, auc, title = 'ROC curve', testId }: { fpr: number[]; tpr: number[]; auc: number | null | undefined; title?: string; testId?: string }) {
  const id = useId()
  const sx = linear([0, 1], [M.left, S - M.right])
  const sy = linear([0, 1], [S - M.bottom, M.top])
  const n = Math.min(fpr.length, tpr.length)
  const pts = Array.from({ length: n }, (_, i) => [fpr[i]!, tpr[i]!] as const).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b))
  const curve = pts.map(([a, b], i) => `${i ? 'L' : 'M'}${sx(a).toFixed(1)},${sy(b).toFixed(1)}`).join('')
  const area = pts.length ? `${curve}L${sx(pts.at(-1)![0]).toFixed(1)},${sy(0)}L${sx(pts[0]![0]).toFixed(1)},${sy(0)}Z` : ''
  const aucText = auc === null || auc === undefined || !Number.isFinite(auc) ? 'AUC n/a' : `AUC ${auc.toFixed(3)}`

  return (
    <figure className="chart roc-chart" data-testid={testId} data-auc={auc ?? undefined} style={{ margin: 0 }}>
      <figcaption>
        <h3 id={`${id}-title`}>
          {title} ({aucText})
        </h3>
        <ul className="chart-legend">
          <li>
            <span className="swatch" style={{ background: 'var(--series-1)' }} />
            Model
          </li>
          <li style={{ color: 'var(--muted)' }}>
            <span className="swatch swatch-dashed" />
            <span style={{ color: 'var(--text)' }}>Chance</span>
          </li>
        </ul>
      </figcaption>
      <svg
        viewBox={`0 0 ${S} ${S}`}
        role="img"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-desc`}
      >
        <desc id={`${id}-desc`}>
          {`True-positive rate against false-positive rate over ${pts.length} thresholds; ${aucText}. The dashed diagonal is a random guess: the further the curve bows to the top left, the better.`}
        </desc>
        <g className="chart-grid">
          {TICKS.map((t) => (
            <line key={`h${t}`} x1={sx(0)} x2={sx(1)} y1={sy(t)} y2={sy(t)} />
          ))}
        </g>
        <g className="chart-axis">
          <line x1={sx(0)} x2={sx(1)} y1={sy(0)} y2={sy(0)} />
          <line x1={sx(0)} x2={sx(0)} y1={sy(0)} y2={sy(1)} />
          {TICKS.map((t) => (
            <g key={t}>
              <text x={sx(t)} y={sy(0) + 16} textAnchor="middle">
                {t}
              </text>
              <text x={sx(0) - 8} y={sy(t)} dy="0.32em" textAnchor="end">
                {t}
              </text>
            </g>
          ))}
          <text x={(sx(0) + sx(1)) / 2} y={S - 6} textAnchor="middle">
            False-positive rate
          </text>
          <text transform={`translate(12,${(sy(0) + sy(1)) / 2}) rotate(-90)`} textAnchor="middle">
            True-positive rate
          </text>
        </g>
        <line x1={sx(0)} y1={sy(0)} x2={sx(1)} y2={sy(1)} stroke="var(--muted)" strokeDasharray="5 4" />
        {area && <path d={area} fill="var(--series-1)" opacity={0.12} />}
        {curve && <path d={curve} fill="none" stroke="var(--series-1)" strokeWidth={2} strokeLinejoin="round" />}
      </svg>
    </figure>
  )
}
