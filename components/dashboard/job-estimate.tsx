'use client'

import { useEffect, useState } from 'react'
import { JobEstimate, type CreateJobBody } from '@/lib/protocol'
import { api, ApiError } from '../api-client'
import { formatDuration, formatTokens } from '../format'

const DEBOUNCE_MS = 600

/**
 * Cost and duration of the job as the form stands, on the fleet online now
 * (POST /api/jobs/estimate), refreshed a moment after each change.
 */
export function JobEstimatePanel({ body, budget }: { body: CreateJobBody | null; budget?: number }) {
  const [estimate, setEstimate] = useState<JobEstimate | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(false)
  const key = body ? JSON.stringify(body) : ''

  useEffect(() => {
    if (!key) return
    const ctrl = new AbortController()
    const timer = setTimeout(() => {
      setLoading(true)
      api('/api/jobs/estimate', { method: 'POST', body: JSON.parse(key), parse: JobEstimate.parse, signal: ctrl.signal })
        .then((e) => {
          setEstimate(e)
          setError(null)
        })
        .catch((e) => {
          if (ctrl.signal.aborted) return
          setError(e instanceof ApiError ? e.message : 'The estimate is unavailable right now.')
        })
        .finally(() => !ctrl.signal.aborted && setLoading(false))
    }, DEBOUNCE_MS)
    return () => {
      clearTimeout(timer)
      ctrl.abort()
    }
  }, [key])

  if (!body) return null
  const over = budget !== undefined && estimate?.cost != null && estimate.cost > budget
  return (
    <div className="estimate" data-testid="job-estimate" aria-live="polite" aria-busy={loading}>
      <strong>Estimate on the fleet online now</strong>
      {error ? (
        <p className="muted">{error}</p>
      ) : !estimate ? (
        <p className="muted">Estimating…</p>
      ) : estimate.cost === null ? (
        <p className="muted" data-testid="estimate-none">{estimate.notes[0]}</p>
      ) : (
        <>
          <p>
            about <b data-testid="estimate-duration">{formatDuration(estimate.durationMs)}</b> and <b data-testid="estimate-cost">{formatTokens(estimate.cost)}</b> on {estimate.devices} device{estimate.devices === 1 ? '' : 's'} ({estimate.rounds} round{estimate.rounds === 1 ? '' : 's'} of {estimate.tasksPerRound} task{estimate.tasksPerRound === 1 ? '' : 's'})
            {estimate.basis === 'benchmark' && <span className="muted"> · from benchmarks</span>}
          </p>
          {estimate.byClass.length > 1 && (
            <p className="muted">
              {estimate.byClass.map((c) => `${c.class}: ${c.devices} device${c.devices === 1 ? '' : 's'}, ${formatTokens(c.cost)}`).join(' · ')}
            </p>
          )}
          {over && <p className="field-error">The estimate is above your budget: training will stop early, keeping the best weights so far.</p>}
          {estimate.notes.map((n) => (
            <p key={n} className="muted">
              {n}
            </p>
          ))}
        </>
      )}
    </div>
  )
}
