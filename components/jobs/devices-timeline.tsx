import type { JobView, Placement } from '@/lib/protocol'
import { formatDuration } from '../format'

type Bar = Placement & { leasedAt: number }

const STATE_CLASS: Record<string, string> = { valid: 'tl-ok', done: 'tl-ok', returned: 'tl-ok', leased: 'tl-run', invalid: 'tl-bad', failed: 'tl-bad', expired: 'tl-bad', cancelled: 'tl-muted' }

/** When each device worked on this job: one row per device, one bar per task instance (the recent ones). */
export function DevicesTimeline({ job, now }: { job: JobView; now: number }) {
  const bars = (job.scheduling?.placements ?? []).filter((p): p is Bar => typeof p.leasedAt === 'number')
  if (bars.length === 0) return null
  const start = Math.min(...bars.map((b) => b.leasedAt))
  const end = Math.max(start + 1000, ...bars.map((b) => b.finishedAt ?? now))
  const span = end - start
  const devices = [...new Set(bars.map((b) => b.device))].sort()
  return (
    <section className="card" aria-labelledby="timeline-title" data-testid="devices-timeline">
      <div className="card-head">
        <h2 id="timeline-title">Devices timeline</h2>
        <span className="muted small">last {bars.length} task instances over {formatDuration(span)}</span>
      </div>
      <div className="timeline">
        {devices.map((d) => (
          <div className="tl-row" key={d}>
            <span className="tl-label">{d}</span>
            <ul className="tl-track" aria-label={`Tasks on ${d}`}>
              {bars
                .filter((b) => b.device === d)
                .map((b) => {
                  const left = ((b.leasedAt - start) / span) * 100
                  const width = Math.max(0.8, (((b.finishedAt ?? now) - b.leasedAt) / span) * 100)
                  const what = `task ${b.taskId}, round ${b.round}: ${b.state}${b.actualMs !== null ? ` in ${formatDuration(b.actualMs)}` : ''}${b.spare ? ' (spare copy)' : ''}`
                  return (
                    <li key={b.instanceId} className={`tl-bar ${STATE_CLASS[b.state] ?? 'tl-muted'}`} style={{ left: `${left}%`, width: `${Math.min(width, 100 - left)}%` }} title={what}>
                      <span className="visually-hidden">{what}</span>
                    </li>
                  )
                })}
            </ul>
          </div>
        ))}
      </div>
      <p className="muted small tl-key">
        <span className="tl-swatch tl-ok" /> accepted <span className="tl-swatch tl-run" /> running <span className="tl-swatch tl-bad" /> rejected, failed or expired
      </p>
    </section>
  )
}
