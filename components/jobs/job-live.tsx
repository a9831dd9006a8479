'use client'

import Link from 'next/link'
import { ApiError } from '../api-client'
import { ErrorNote } from '../error-note'
import { LiveIndicator } from '../live-indicator'
import { OwnerKey } from '../owner-key'
import { useOwnerKey } from '../owner-key-store'
import { CancelJob } from './cancel-job'
import { JobCharts } from './job-charts'
import { JobDevices } from './job-devices'
import { JobSummary } from './job-summary'
import { ModelDownload } from './model-download'
import { PredictPanel } from './predict-panel'
import { useJobLive } from './use-job-live'

/** The /jobs/[id] page body, live over /live. */
export function JobLive({ id }: { id: string }) {
  const key = useOwnerKey()
  const { job, setJob, error, live, liveError } = useJobLive(id)
  const needsKey = !key || (error instanceof ApiError && error.code === 'unauthorized') || live === 'offline'

  return (
    <div className="stack">
      <div className="row">
        <Link href="/dashboard">← All jobs</Link>
        <LiveIndicator state={live} />
        {liveError && <span className="field-error">{liveError}</span>}
      </div>
      {needsKey && <OwnerKey />}
      <ErrorNote error={error} testId="job-load-error" />
      {!job ? (
        !error && <p className="muted">Loading the job…</p>
      ) : (
        <>
          <JobSummary job={job} />
          {(job.status === 'queued' || job.status === 'running') && <CancelJob jobId={job.id} onCancelled={setJob} />}
          <JobCharts history={job.history} />
          <JobDevices job={job} />
          {job.status === 'succeeded' && (
            <div className="grid-2">
              <ModelDownload jobId={job.id} />
              <PredictPanel jobId={job.id} />
            </div>
          )}
        </>
      )}
    </div>
  )
}
