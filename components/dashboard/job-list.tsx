'use client'

import Link from 'next/link'
import { useState } from 'react'
import type { JobStatus } from '@/lib/protocol'
import { ErrorNote } from '../error-note'
import { formatDateTime } from '../format'
import { LiveIndicator } from '../live-indicator'
import { StatusBadge } from '../status-badge'
import { useJobList } from './use-job-list'

const FILTERS: readonly ('all' | JobStatus)[] = ['all', 'running', 'queued', 'succeeded', 'failed', 'cancelled']

/** The owner's jobs, newest first, each linking to its live page; kept current by push. */
export function JobList() {
  const { session, jobs, error, live } = useJobList()
  const [filter, setFilter] = useState<'all' | JobStatus>('all')
  const [query, setQuery] = useState('')
  const count = (f: 'all' | JobStatus) => (jobs ?? []).filter((j) => f === 'all' || j.status === f).length
  const q = query.trim().toLowerCase()
  const shown = (jobs ?? []).filter((j) => (filter === 'all' || j.status === filter) && (!q || `${j.name} ${j.target} ${j.id}`.toLowerCase().includes(q)))

  return (
    <section className="card" aria-labelledby="jobs-title">
      <div className="card-head">
        <h2 id="jobs-title">Your jobs</h2>
        {session === 'signed-in' && <LiveIndicator state={live} />}
      </div>
      <ErrorNote error={error} />
      {session === 'loading' ? null : session === 'signed-out' ? (
        <p className="muted">Sign in above to see your jobs.</p>
      ) : jobs === null ? (
        !error && <p className="muted">Loading…</p>
      ) : jobs.length === 0 ? (
        <p className="muted">No jobs yet. Upload a CSV or a zip of images to start one.</p>
      ) : (
        <>
          <div className="filters" role="group" aria-label="Filter jobs by status">
            {FILTERS.map((f) => (
              <button key={f} type="button" className="btn btn-small" aria-pressed={filter === f} onClick={() => setFilter(f)} data-testid={`filter-${f}`}>
                {f} ({count(f)})
              </button>
            ))}
            <label className="visually-hidden" htmlFor="job-search">
              Search jobs
            </label>
            <input id="job-search" type="search" placeholder="Search by name or target" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="job-search" />
          </div>
          {shown.length === 0 && <p className="muted">No job matches.</p>}
          <ul className="job-list" data-testid="job-list">
            {shown.map((j) => (
              <li key={j.id}>
                <Link href={`/jobs/${encodeURIComponent(j.id)}`} data-testid="job-link">
                  <span className="job-name">{j.name}</span>
                  <StatusBadge status={j.status} />
                  <span className="muted small">
                    {j.type === 'infer' ? (
                      <>batch inference · {j.outputs?.rows ?? 0} rows predicted</>
                    ) : (
                      <>
                        {j.task === 'regression' ? 'regresses' : 'predicts'} <code>{j.target}</code> · round {j.round} / {j.totalRounds}
                        {j.stoppedEarly && ' · stopped early'}
                      </>
                    )}
                  </span>
                  <span className="muted small">{formatDateTime(j.createdAt)}</span>
                </Link>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}
