import type { ReactNode } from 'react'
import { formatNumber } from '../format'
import { ProgressBar } from '../progress-bar'
import type { DonationState } from './donation-state'

/** The task in progress (or what we are waiting for) and the running totals. */
export function TaskCard({ state, children }: { state: DonationState; children?: ReactNode }) {
  const { task, stats } = state
  return (
    <section className="card" aria-labelledby="task-title">
      <h2 id="task-title">Work</h2>
      <div aria-live="polite">
        {task ? (
          <>
            <div className="progress-label">
              <span>
                Job <code>{task.jobId}</code> · {task.label}
              </span>
              <span>{task.loss !== null ? `loss ${formatNumber(task.loss, 4)}` : `${Math.round(task.fraction * 100)}%`}</span>
            </div>
            <ProgressBar
              fraction={task.fraction}
              label="Current task"
              valueText={`${Math.round(task.fraction * 100)}% of ${task.label}`}
              testId="task-progress"
            />
          </>
        ) : (
          <p className="muted">
            {state.connection === 'connected'
              ? 'Waiting for work…'
              : state.connection === 'paused'
                ? 'Paused.'
                : state.phase === 'ready'
                  ? 'Not connected.'
                  : 'Idle.'}
          </p>
        )}
      </div>
      <div className="stats" style={{ marginTop: '1rem' }}>
        <div className="stat">
          <div className="stat-label">Tasks done</div>
          <div className="stat-value" data-testid="tasks-done">
            {state.tasksDone}
          </div>
        </div>
        <div className="stat">
          <div className="stat-label">Verified valid</div>
          <div className="stat-value" data-testid="tasks-valid">
            {stats ? stats.tasksDone : '—'}
          </div>
        </div>
        <div className="stat">
          <div className="stat-label">Rejected</div>
          <div className="stat-value" data-testid="tasks-rejected">
            {stats ? stats.tasksRejected : '—'}
          </div>
        </div>
        <div className="stat">
          <div className="stat-label">Awaiting check</div>
          <div className="stat-value" data-testid="tasks-pending">
            {stats?.tasksPending ?? '—'}
          </div>
        </div>
        <div className="stat">
          <div className="stat-label">Trust</div>
          <div className="stat-value" data-testid="device-trust" title="new: your results are double-checked on another device; trusted: spot-checked; banned: refused">
            {stats?.trust ?? '—'}
          </div>
        </div>
        {children}
      </div>
    </section>
  )
}
