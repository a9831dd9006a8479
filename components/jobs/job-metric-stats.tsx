import type { JobView } from '@/lib/protocol'
import { formatNumber, formatPercent } from '../format'
import { Stat } from '../stat'

const f4 = (v: number | null | undefined) => formatNumber(v, 4)
const f3 = (v: number | null | undefined) => formatNumber(v, 3)

/** Headline test figure (accuracy or R²) once done, then the latest round's figures. */
export function JobMetricStats({ job }: { job: JobView }) {
  const m = job.metrics
  const done = job.status === 'succeeded' && job.test
  if (job.task === 'regression') {
    return (
      <div className="stats" style={{ marginTop: '1rem' }}>
        {done && (
          <Stat
            label={`Test R² (${job.test!.rows} rows)`}
            value={
              <span data-testid="test-r2" data-value={job.test!.r2}>
                {f3(job.test!.r2)}
              </span>
            }
          />
        )}
        <Stat label="Validation R²" value={f3(m.valR2)} />
        <Stat label="Validation MAE" value={f4(m.valMae)} />
        <Stat label="Loss (MSE)" value={f4(m.loss)} />
        <Stat label="Validation MSE" value={f4(m.valLoss)} />
      </div>
    )
  }
  return (
    <div className="stats" style={{ marginTop: '1rem' }}>
      {done && (
        <Stat
          label={`Test accuracy (${job.test!.rows} rows)`}
          value={
            <span data-testid="test-accuracy" data-value={job.test!.accuracy}>
              {formatPercent(job.test!.accuracy)}
            </span>
          }
        />
      )}
      <Stat label="Accuracy" value={formatPercent(m.accuracy)} />
      <Stat label="Validation accuracy" value={formatPercent(m.valAccuracy)} />
      {m.valF1 !== undefined && m.valF1 !== null && <Stat label="Validation F1" value={f3(m.valF1)} />}
      <Stat label="Loss" value={f4(m.loss)} />
      <Stat label="Validation loss" value={f4(m.valLoss)} />
    </div>
  )
}
