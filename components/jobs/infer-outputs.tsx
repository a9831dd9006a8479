'use client'

import { useState, type MouseEvent } from 'react'
import type { JobView } from '@/lib/protocol'
import { apiBlob } from '../api-client'
import { downloadBlob } from '../download'
import { ErrorNote } from '../error-note'
import { formatNumber } from '../format'

/** An inference job's predictions: fetched with the owner key and saved through Blob URLs (a plain link would lack the header). */
export function InferOutputs({ job }: { job: JobView }) {
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const outputs = job.outputs
  const done = job.status === 'succeeded'

  async function save(e: MouseEvent<HTMLAnchorElement>, path: string, filename: string) {
    e.preventDefault()
    setBusy(filename)
    setError(null)
    try {
      downloadBlob(await apiBlob(path), filename)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(null)
    }
  }

  const files = outputs
    ? [
        { path: outputs.csv, name: `predictions-${job.id}.csv`, label: 'Download predictions (CSV)', testId: 'download-outputs-csv' },
        { path: outputs.json, name: `predictions-${job.id}.json`, label: 'Download predictions (JSON)', testId: 'download-outputs-json' },
      ]
    : []

  return (
    <section className="card" aria-labelledby="outputs-title" data-testid="infer-outputs">
      <h2 id="outputs-title">Predictions</h2>
      {!outputs ? (
        <p className="muted">{job.status === 'failed' || job.status === 'cancelled' ? 'This job produced no predictions.' : 'The predictions appear here as the devices finish.'}</p>
      ) : (
        <>
          <p>
            {formatNumber(outputs.rows, 0)} rows predicted{done ? '.' : ' so far.'}{' '}
            {job.task === 'regression' ? 'Each row gets a predicted value.' : 'Each row gets a label and its probability.'}
          </p>
          <div className="row">
            {files.map((f) => (
              <a
                key={f.testId}
                href={f.path}
                className="btn"
                onClick={(e) => save(e, f.path, f.name)}
                aria-disabled={busy !== null || undefined}
                data-testid={f.testId}
              >
                {busy === f.name ? 'Preparing…' : f.label}
              </a>
            ))}
          </div>
        </>
      )}
      <ErrorNote error={error} testId="outputs-error" />
    </section>
  )
}
