import type { EvalReport, TaskType } from '@/lib/protocol'
import { formatNumber, formatPercent } from '../format'

type Row = { key: string; label: string; get: (r: EvalReport) => number | null | undefined; fmt: (v: number | null | undefined) => string }

const f3 = (v: number | null | undefined) => formatNumber(v, 3)
const f4 = (v: number | null | undefined) => formatNumber(v, 4)

const CLASSIFICATION: Row[] = [
  { key: 'accuracy', label: 'Accuracy', get: (r) => r.accuracy, fmt: (v) => formatPercent(v) },
  { key: 'precision', label: 'Precision (macro)', get: (r) => r.precision, fmt: f3 },
  { key: 'recall', label: 'Recall (macro)', get: (r) => r.recall, fmt: f3 },
  { key: 'f1', label: 'F1 (macro)', get: (r) => r.f1, fmt: f3 },
  { key: 'auc', label: 'ROC AUC', get: (r) => r.auc, fmt: f3 },
  { key: 'loss', label: 'Loss (cross-entropy)', get: (r) => r.loss, fmt: f4 },
]

const REGRESSION: Row[] = [
  { key: 'mse', label: 'MSE', get: (r) => r.mse ?? r.loss, fmt: f4 },
  { key: 'mae', label: 'MAE', get: (r) => r.mae, fmt: f4 },
  { key: 'r2', label: 'R²', get: (r) => r.r2, fmt: f3 },
]

/** Final figures per split: one column per report (test, and validation when present). */
export function EvalMetricsTable({ task, reports }: { task: TaskType; reports: { label: string; report: EvalReport }[] }) {
  const rows = task === 'regression' ? REGRESSION : CLASSIFICATION
  return (
    <div className="table-wrap" tabIndex={0}>
      <table data-testid="test-metrics">
        <thead>
          <tr>
            <th scope="col">Metric</th>
            {reports.map((r) => (
              <th scope="col" className="num" key={r.label}>
                {r.label} ({formatNumber(r.report.rows, 0)} rows)
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.label}</th>
              {reports.map((r, i) => {
                const v = row.get(r.report)
                return (
                  <td className="num" key={r.label} data-testid={i === 0 ? `metric-${row.key}` : undefined} data-value={v ?? undefined}>
                    {row.fmt(v)}
                  </td>
                )
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
