import type { JobView } from '@/lib/protocol'
import { Stat } from '../stat'

/** How the job's results were checked before they were used and paid for. */
export function JobVerification({ job }: { job: JobView }) {
  const v = job.verification
  if (!v) return null
  return (
    <section className="card" aria-labelledby="job-verification-title">
      <h2 id="job-verification-title">Verification</h2>
      <p className="muted">Results from new devices run on two devices and must agree; a disagreement brings a third copy and the majority wins. Only accepted results are used and credited.</p>
      <div className="stats" data-testid="job-verification">
        <Stat label="Replicated" value={v.replicated} testId="verify-replicated" />
        <Stat label="Agreed" value={v.agreed} testId="verify-agreed" />
        <Stat label="Disagreed" value={v.disagreed} testId="verify-disagreed" />
        <Stat label="Rejected" value={v.rejected} testId="verify-rejected" />
        <Stat label="Spot-checked" value={v.spotChecked} testId="verify-spot-checked" />
      </div>
    </section>
  )
}
