'use client'

import { useState } from 'react'
import { AdapterCard } from './adapter-card'
import { BackendSelect } from './backend-select'
import { BenchmarkTable } from './benchmark-table'
import type { BackendChoice } from './donation-state'
import { EventLog } from './event-log'
import { TaskCard } from './task-card'
import { useDonation } from './use-donation'

/** The /contribute page: choose a backend, donate, watch the work, stop. */
export function DonatePanel({ initialBackend }: { initialBackend: BackendChoice }) {
  const [choice, setChoice] = useState<BackendChoice>(initialBackend)
  const { state, start, stop } = useDonation()
  const running = state.phase === 'starting' || state.phase === 'ready'

  return (
    <div className="stack">
      <section className="card donate-box" aria-labelledby="donate-title">
        <h2 id="donate-title" className="visually-hidden">
          Donate
        </h2>
        <div className="row" style={{ alignItems: 'flex-end' }}>
          <BackendSelect value={choice} onChange={setChoice} disabled={running} />
          {running ? (
            <button type="button" className="btn btn-danger btn-big" onClick={stop} data-testid="stop">
              Stop donating
            </button>
          ) : (
            <button type="button" className="btn btn-primary btn-big" onClick={() => start(choice)} data-testid="donate">
              Donate GPU
            </button>
          )}
        </div>
        <div className="status-line" role="status" aria-live="polite">
          <span className="muted">Connection:</span>
          <span className={`badge badge-${state.connection}`} data-testid="connection">
            {state.connection}
          </span>
          {state.status && <span data-testid="worker-status">{state.status}</span>}
        </div>
        {state.error && (
          <p className="notice notice-error" role="alert" data-testid="donate-error">
            {state.error}
          </p>
        )}
        {state.deviceId && (
          <p className="muted small">
            Device id <code data-testid="device-id">{state.deviceId}</code>
          </p>
        )}
      </section>

      {state.ready && (
        <div className="grid-2">
          <AdapterCard adapter={state.ready.adapter} />
          <BenchmarkTable benchmarks={state.ready.benchmarks} chosen={state.ready.backend} memoryBudget={state.ready.memoryBudget} />
        </div>
      )}

      <TaskCard state={state} />
      <EventLog entries={state.log} />
    </div>
  )
}
