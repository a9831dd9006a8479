'use client'

import { useState, type ChangeEvent } from 'react'
import type { DatasetView } from '@/lib/protocol'
import { ErrorNote } from '../error-note'
import { uploadDataset } from './upload-dataset'

/** Pick a CSV (sent as text) or a zip of images (sent as bytes) and POST it to /api/datasets. */
export function CsvUpload({ onUploaded }: { onUploaded: (d: DatasetView) => void }) {
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)

  async function onChange(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0]
    if (!file) return
    setError(null)
    setBusy(file.name)
    try {
      onUploaded(await uploadDataset(file))
    } catch (err) {
      setError(err)
    } finally {
      setBusy(null)
      e.target.value = ''
    }
  }

  return (
    <section className="card" aria-labelledby="upload-title">
      <h2 id="upload-title">2. Upload data</h2>
      <p className="muted small">
        A <strong>CSV</strong>: one row per example, a header row with column names, and the column you want to predict. Numbers,
        categories, yes/no and free-text columns are all fine.
        <br />
        Or a <strong>.zip of images</strong>: one folder per class (<code>cat/001.png</code>, <code>dog/002.jpg</code>…), or MNIST-style
        idx files.
      </p>
      <div className="field">
        <label htmlFor="csv-input">CSV or zip file</label>
        <input
          id="csv-input"
          type="file"
          accept=".csv,text/csv,.zip,application/zip"
          onChange={onChange}
          disabled={busy !== null}
          data-testid="csv-input"
        />
      </div>
      <p aria-live="polite" className="small muted" style={{ marginTop: '0.5rem' }}>
        {busy ? `Uploading ${busy}…` : ''}
      </p>
      <ErrorNote error={error} testId="upload-error" />
    </section>
  )
}
