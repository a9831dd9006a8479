'use client'

import { useEffect, useRef, useState } from 'react'
import { AdapterCard } from './adapter-card'
import { BackendSelect } from './backend-select'
import { BenchmarkTable } from './benchmark-table'
import { DEFAULT_SETTINGS, DonateControls, type DonateSettings } from './donate-controls'
import type { BackendChoice } from './donation-state'
import { EventLog } from './event-log'
import { Earned, Leaderboard } from './leaderboard'
import { TaskCard } from './task-card'
import { useDonation } from './use-donation'
import { useLeaderboard } from './use-leaderboard'
import { usePauseReason } from './use-pause-reason'

/** The /contribute page: choose a backend and how much to give, donate, watch the work, stop. */
export function DonatePanel({ initialBackend, autoStart = false }: { initialBackend: BackendChoice; autoStart?: boolean }) {
  const [choice, setChoice] = useState<BackendChoice>(initialBackend)
  const [settings, setSettings] = useState<DonateSettings>(DEFAULT_SETTINGS)
  const { state, start, stop, setDuty, pause, resume } = useDonation()
  const running = state.phase === 'starting' || state.phase === 'ready'
  const { reason: pauseReason, batterySupported } = usePauseReason({ whenHidden: settings.pauseWhenHidden, onBattery: settings.pauseOnBattery })
  const statsVersion = (state.stats?.tasksDone ?? 0) + (state.stats?.tasksRejected ?? 0)
  const { board, failed } = useLeaderboard(state.deviceId, statsVersion)

  // From the landing page's "Donate your GPU": start at once (that click was the consent).
  const autoStarted = useRef(false)
  useEffect(() => {
    if (!autoStart || autoStarted.current) return
    autoStarted.current = true
    start(initialBackend)
  }, [autoStart, initialBackend, start])

  useEffect(() => setDuty(settings.duty), [settings.duty, setDuty, state.phase])
  useEffect(() => {
    if (!running) return
    if (pauseReason) pause(pauseReason)
    else resume()
  }, [pauseReason, running, pause, resume])

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
        <DonateControls settings={settings} onChange={setSettings} batterySupported={batterySupported} />
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

      <TaskCard state={state}>
        <Earned board={board} />
      </TaskCard>
      <div className="grid-2">
        <EventLog entries={state.log} />
        <Leaderboard board={board} failed={failed} />
      </div>
    </div>
  )
}
