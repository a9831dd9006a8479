'use client'

import { useState, type ChangeEvent } from 'react'
import { DatasetView } from '@/lib/protocol'
import { api } from '../api-client'
import { ErrorNote } from '../error-note'

/** Header values must be Latin-1; anything else is percent-encoded. */
function filenameHeader(name: string): string {
  return /^[\x20-\x7e]*$/.test(name) ? name : encodeURIComponent(name)
}

function parseDataset(data: unknown): DatasetView {
  const inner = data && typeof data === 'object' && 'dataset' in data ? (data as { dataset: unknown }).dataset : data
  return DatasetView.parse(inner)
}

/** Pick a CSV and send its raw text to POST /api/datasets. */
export function CsvUpload({ onUploaded }: { onUploaded: (d: DatasetView) => void }) {
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)

  async function onChange(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0]
    if (!file) return
    setError(null)
    setBusy(file.name)
    try {
      const text = await file.text()
      const dataset = await api('/api/datasets', {
        method: 'POST',
        body: text,
        contentType: 'text/csv',
        headers: { 'X-Filename': filenameHeader(file.name) },
        parse: parseDataset,
      })
      onUploaded(dataset)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(null)
      e.target.value = ''
    }
  }

  return (
    <section className="card" aria-labelledby="upload-title">
      <h2 id="upload-title">1. Upload a CSV</h2>
      <p className="muted small">
        One row per example, a header row with column names, and the column you want to predict. Numbers, categories and
        yes/no columns are all fine.
      </p>
      <div className="field">
        <label htmlFor="csv-input">CSV file</label>
        <input id="csv-input" type="file" accept=".csv,text/csv" onChange={onChange} disabled={busy !== null} data-testid="csv-input" />
      </div>
      <p aria-live="polite" className="small muted" style={{ marginTop: '0.5rem' }}>
        {busy ? `Uploading ${busy}…` : ''}
      </p>
      <ErrorNote error={error} testId="upload-error" />
    </section>
  )
}
