'use client'

import Link from 'next/link'
import { useState, type ChangeEvent } from 'react'
import { ErrorNote } from '../error-note'
import { createJob, jobHref } from '../dashboard/create-job'
import { uploadDataset } from '../dashboard/upload-dataset'

/** Score a whole file with this job's model on the volunteers' devices: upload → POST /api/jobs {type:'infer'} → link. */
export function BatchInferPanel({ jobId, images }: { jobId: string; images: boolean }) {
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [created, setCreated] = useState<{ id: string; file: string } | null>(null)

  async function onChange(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0]
    if (!file) return
    setError(null)
    setCreated(null)
    try {
      setBusy(`Uploading ${file.name}…`)
      const dataset = await uploadDataset(file)
      setBusy('Starting the inference job…')
      const id = await createJob({ type: 'infer', sourceJobId: jobId, datasetId: dataset.id })
      setCreated({ id, file: file.name })
    } catch (err) {
      setError(err)
    } finally {
      setBusy(null)
      e.target.value = ''
    }
  }

  return (
    <section className="card" aria-labelledby="batch-infer-title">
      <h2 id="batch-infer-title">Batch inference</h2>
      <p className="muted small">
        {images
          ? 'Upload a zip of images (same size and channels; class folders optional). The volunteers’ devices predict every image.'
          : 'Upload a CSV with the same columns as the training data (the target may be left out). The volunteers’ devices predict every row.'}
      </p>
      <div className="field">
        <label htmlFor="batch-infer-input">{images ? 'Zip to predict' : 'CSV to predict'}</label>
        <input
          id="batch-infer-input"
          type="file"
          accept={images ? '.zip,application/zip' : '.csv,text/csv'}
          onChange={onChange}
          disabled={busy !== null}
          data-testid="batch-infer-input"
        />
      </div>
      <p aria-live="polite" className="small muted" style={{ marginTop: '0.5rem' }}>
        {busy ?? ''}
      </p>
      <ErrorNote error={error} testId="batch-infer-error" />
      {created && (
        <p className="notice notice-ok" role="status">
          Started for {created.file}:{' '}
          <Link href={jobHref(created.id)} data-testid="batch-infer-link">
            follow the inference job →
          </Link>
        </p>
      )}
    </section>
  )
}
