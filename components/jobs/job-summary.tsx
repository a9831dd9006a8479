import Link from 'next/link'
import type { JobView } from '@/lib/protocol'
import { formatDateTime, formatNumber } from '../format'
import { ProgressBar } from '../progress-bar'
import { StatusBadge } from '../status-badge'
import { sourceJobOf } from './job-config'
import { JobFacts } from './job-facts'
import { JobMetricStats } from './job-metric-stats'

/** Status, progress, settings, and the latest (or final) figures. */
export function JobSummary({ job }: { job: JobView }) {
  const infer = job.type === 'infer'
  const source = sourceJobOf(job)
  const t = job.tasks
  return (
    <section className="card" aria-labelledby="job-title" data-job-type={job.type} data-task={job.task}>
      <div className="card-head">
        <h1 id="job-title" style={{ margin: 0 }}>
          {job.name}
        </h1>
        <span aria-live="polite">
          <StatusBadge status={job.status} testId="job-status" />
        </span>
      </div>
      <p className="muted small">
        {infer ? (
          <>
            Batch inference
            {source && (
              <>
                {' '}
                with the model of <Link href={`/jobs/${encodeURIComponent(source)}`}>{source}</Link>
              </>
            )}
          </>
        ) : (
          <>
            Predicts <code>{job.target}</code>
            {job.task === 'classification' && job.classes.length > 0 && <> ({job.classes.join(', ')})</>}
          </>
        )}{' '}
        · created {formatDateTime(job.createdAt)}
      </p>
      {job.status === 'failed' && job.error && (
        <p className="notice notice-error" role="alert" data-testid="job-error">
          {infer ? 'Inference' : 'Training'} failed: {job.error}
        </p>
      )}
      <div className="progress-label">
        <span data-testid="job-round">
          {infer ? `${t.done} / ${t.total} tasks` : `round ${job.round} / ${job.totalRounds}`}
        </span>
        <span>{Math.round(job.progress * 100)}%</span>
      </div>
      <ProgressBar
        fraction={job.progress}
        label={infer ? 'Inference progress' : 'Training progress'}
        valueText={infer ? `${t.done} of ${t.total} tasks` : `round ${job.round} of ${job.totalRounds}`}
        testId="job-progress"
      />
      {infer ? (
        <p style={{ marginTop: '1rem' }}>
          Rows predicted: <strong data-testid="infer-rows">{formatNumber(job.outputs?.rows ?? 0, 0)}</strong>
        </p>
      ) : (
        <JobMetricStats job={job} />
      )}
      <div style={{ marginTop: '1rem' }}>
        <JobFacts job={job} />
      </div>
    </section>
  )
}
