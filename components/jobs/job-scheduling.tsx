import type { JobView, Placement } from '@/lib/protocol'
import { formatDateTime, formatDuration, formatTokens } from '../format'
import { ProgressBar } from '../progress-bar'
import { Stat } from '../stat'

const REASONS: Record<string, string> = {
  cheapest: 'least cost',
  'only-fit': 'only device it fits',
  preferred: 'holds its data',
  deadline: 'meets the deadline',
  canary: 'canary: a known-answer check of the device',
}

/** What the job costs against its limits and estimate, and why each recent task went where it did. */
export function JobScheduling({ job }: { job: JobView }) {
  const s = job.scheduling
  if (!s) return null
  return (
    <section className="card" aria-labelledby="job-scheduling-title" data-testid="job-scheduling">
      <h2 id="job-scheduling-title">Cost and placement</h2>
      <div className="stats" style={{ marginBottom: '1rem' }}>
        <Stat label="Cost so far" value={formatTokens(s.cost)} testId="job-cost" />
        {s.estimate && s.estimate.cost !== null && <Stat label="Estimated at submission" value={`${formatTokens(s.estimate.cost)} · ${formatDuration(s.estimate.durationMs)}`} testId="job-estimate-at-submit" />}
        {s.deadline && <Stat label="Deadline" value={formatDateTime(s.deadline)} />}
        <Stat label="Spare copies (stragglers)" value={s.spares} testId="job-spares" />
      </div>
      {s.budget !== null && (
        <ProgressBar fraction={s.cost / s.budget} label="Budget used" valueText={`${formatTokens(s.cost)} of ${formatTokens(s.budget)}`} testId="job-budget" />
      )}
      {s.stoppedBy === 'budget' && <p data-testid="job-stopped-by-budget">Stopped before the next round would overrun the budget; the best weights so far were kept.</p>}
      {s.placements.length === 0 ? (
        <p className="muted">No task has been placed yet.</p>
      ) : (
        <div className="table-wrap" tabIndex={0}>
          <table data-testid="job-placements">
            <caption className="muted">Latest placements: why the scheduler chose each device</caption>
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Device</th>
                <th scope="col">Why</th>
                <th scope="col" className="num">Expected</th>
                <th scope="col" className="num">Took</th>
                <th scope="col" className="num">Cost</th>
                <th scope="col">Runner-up</th>
              </tr>
            </thead>
            <tbody>
              {s.placements.map((p) => (
                <PlacementRow key={p.instanceId} p={p} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

function PlacementRow({ p }: { p: Placement }) {
  const why = REASONS[p.reason] ?? p.reason
  return (
    <tr>
      <td>
        #{p.taskId} <span className="muted">r{p.round}</span>
      </td>
      <td>
        {p.device} {p.state !== 'valid' && <span className="muted">({p.state})</span>}
      </td>
      <td title={p.rejected.map((r) => `${r.device}: ${r.why}`).join('\n') || undefined}>
        {why}
        {p.late && <span className="field-error"> · late</span>}
        {p.rejected.length > 0 && <span className="muted"> · {p.rejected.length} ruled out</span>}
      </td>
      <td className="num">{formatDuration(p.expectedMs)}</td>
      <td className="num">{formatDuration(p.actualMs)}</td>
      <td className="num">{p.cost === null ? '—' : formatTokens(p.cost)}</td>
      <td>{p.runnerUp ? `${p.runnerUp.device} (${formatDuration(p.runnerUp.expectedMs)}, ${formatTokens(p.runnerUp.cost)})` : <span className="muted">none</span>}</td>
    </tr>
  )
}
