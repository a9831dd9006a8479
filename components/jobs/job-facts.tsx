import type { JobView } from '@/lib/protocol'
import { formatBytes } from '../format'
import { algorithmLabel, algorithmOf, templateOf } from './job-config'

/** The job's settings and costs at a glance: task, model, algorithm, bytes moved, early stopping. */
export function JobFacts({ job }: { job: JobView }) {
  const template = templateOf(job)
  const train = job.type === 'train'
  return (
    <dl className="dl job-facts">
      {train && (
        <>
          <dt>Task</dt>
          <dd data-testid="job-task">{job.task}</dd>
          {template && (
            <>
              <dt>Model</dt>
              <dd>
                <code>{template}</code>
              </dd>
            </>
          )}
          <dt>Algorithm</dt>
          <dd data-testid="job-algorithm">{algorithmLabel(algorithmOf(job))}</dd>
        </>
      )}
      <dt>Data moved</dt>
      <dd data-testid="job-bytes" data-down={job.bytesMoved.down} data-up={job.bytesMoved.up}>
        <span aria-label="downloaded by devices">↓ {formatBytes(job.bytesMoved.down)}</span> ·{' '}
        <span aria-label="uploaded by devices">↑ {formatBytes(job.bytesMoved.up)}</span>
      </dd>
      {train && (job.stoppedEarly || job.bestRound !== null) && (
        <>
          <dt>Early stopping</dt>
          <dd data-testid="job-early-stop">
            {job.stoppedEarly ? `Stopped early at round ${job.round} of ${job.totalRounds}` : 'Ran every round'}
            {job.bestRound !== null && <> · kept the weights of round {job.bestRound} (best validation loss)</>}
          </dd>
        </>
      )}
    </dl>
  )
}
