import type { JobView } from '@/lib/protocol'
import { formatDateTime, formatNumber, formatPercent } from '../format'
import { ProgressBar } from '../progress-bar'
import { Stat } from '../stat'
import { StatusBadge } from '../status-badge'

/** Status, progress, latest metrics and (once done) the held-out test score. */
export function JobSummary({ job }: { job: JobView }) {
  const m = job.metrics
  return (
    <section className="card" aria-labelledby="job-title">
      <div className="card-head">
        <h1 id="job-title" style={{ margin: 0 }}>
          {job.name}
        </h1>
        <span aria-live="polite">
          <StatusBadge status={job.status} testId="job-status" />
        </span>
      </div>
      <p className="muted small">
        Predicts <code>{job.target}</code>
        {job.classes.length > 0 && <> ({job.classes.join(', ')})</>} · created {formatDateTime(job.createdAt)}
      </p>
      {job.status === 'failed' && job.error && (
        <p className="notice notice-error" role="alert" data-testid="job-error">
          Training failed: {job.error}
        </p>
      )}
      <div className="progress-label">
        <span data-testid="job-round">
          round {job.round} / {job.totalRounds}
        </span>
        <span>{Math.round(job.progress * 100)}%</span>
      </div>
      <ProgressBar
        fraction={job.progress}
        label="Training progress"
        valueText={`round ${job.round} of ${job.totalRounds}`}
        testId="job-progress"
      />
      <div className="stats" style={{ marginTop: '1rem' }}>
        {job.test && job.status === 'succeeded' && (
          <Stat label={`Test accuracy (${job.test.rows} rows)`} value={<span data-testid="test-accuracy" data-value={job.test.accuracy}>{formatPercent(job.test.accuracy)}</span>} />
        )}
        <Stat label="Accuracy" value={formatPercent(m.accuracy)} />
        <Stat label="Validation accuracy" value={formatPercent(m.valAccuracy)} />
        <Stat label="Loss" value={formatNumber(m.loss, 4)} />
        <Stat label="Validation loss" value={formatNumber(m.valLoss, 4)} />
      </div>
    </section>
  )
}
