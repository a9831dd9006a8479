'use client'

import Link from 'next/link'
import type { JobView } from '@/lib/protocol'
import { ApiError } from '../api-client'
import { ErrorNote } from '../error-note'
import { LiveIndicator } from '../live-indicator'
import { OwnerKey } from '../owner-key'
import { AccountPanel } from '../accounts/account-panel'
import { useSession } from '../accounts/session-store'
import { BatchInferPanel } from './batch-infer-panel'
import { CancelJob } from './cancel-job'
import { InferOutputs } from './infer-outputs'
import { JobCharts } from './job-charts'
import { DevicesTimeline } from './devices-timeline'
import { JobDevices } from './job-devices'
import { JobScheduling } from './job-scheduling'
import { JobVerification } from './job-verification'
import { JobSummary } from './job-summary'
import { ModelDownload } from './model-download'
import { PipelinePlan } from './pipeline-plan'
import { PredictPanel } from './predict-panel'
import { TestReport } from './test-report'
import { useDataset } from './use-dataset'
import { useJobLive } from './use-job-live'

/** The /jobs/[id] page body, live over /live. */
export function JobLive({ id }: { id: string }) {
  const session = useSession()
  const { job, setJob, error, live, liveError } = useJobLive(id)
  const needsSignIn = session.state === 'signed-out' || (error instanceof ApiError && error.code === 'unauthorized') || live === 'offline'

  return (
    <div className="stack">
      <div className="row">
        <Link href="/dashboard">← All jobs</Link>
        <LiveIndicator state={live} />
        {liveError && <span className="field-error">{liveError}</span>}
      </div>
      {needsSignIn && (
        <>
          <AccountPanel />
          <OwnerKey />
        </>
      )}
      <ErrorNote error={error} testId="job-load-error" />
      {!job ? (
        !error && <p className="muted">Loading the job…</p>
      ) : (
        <>
          <JobSummary job={job} />
          {(job.status === 'queued' || job.status === 'running') && <CancelJob jobId={job.id} onCancelled={setJob} />}
          {job.pipeline ? <PipelinePlan pipeline={job.pipeline} /> : null}
          {job.type === 'infer' ? <InferOutputs job={job} /> : <TrainingResults job={job} />}
          <JobDevices job={job} />
          <DevicesTimeline job={job} now={Date.parse(job.updatedAt)} />
          <JobScheduling job={job} />
          <JobVerification job={job} />
        </>
      )}
    </div>
  )
}

function TrainingResults({ job }: { job: JobView }) {
  const dataset = useDataset(job.status === 'succeeded' ? job.datasetId : undefined)
  const images = dataset?.kind === 'images'
  return (
    <>
      <JobCharts job={job} />
      <TestReport job={job} />
      {job.status === 'succeeded' && (
        <div className="grid-2">
          <ModelDownload jobId={job.id} task={job.task} />
          <PredictPanel jobId={job.id} task={job.task} images={images} />
          <BatchInferPanel jobId={job.id} images={images} />
        </div>
      )}
    </>
  )
}
