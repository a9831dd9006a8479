import { formatTime } from '../format'
import type { LogEntry } from './donation-state'

/** Recent events, newest first. */
export function EventLog({ entries }: { entries: LogEntry[] }) {
  return (
    <section className="card" aria-labelledby="log-title">
      <h2 id="log-title">Recent events</h2>
      {entries.length === 0 ? (
        <p className="muted">Nothing yet.</p>
      ) : (
        <ol className="log" data-testid="event-log" aria-label="Event log">
          {entries.map((e) => (
            <li key={e.id} className={e.level === 'error' ? 'log-error' : undefined}>
              <time dateTime={new Date(e.at).toISOString()}>{formatTime(new Date(e.at))}</time>
              {e.text}
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
