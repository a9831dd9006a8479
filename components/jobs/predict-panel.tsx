'use client'

import { useState, type ChangeEvent } from 'react'
import { PredictResponse, type TaskType } from '@/lib/protocol'
import { api } from '../api-client'
import { downloadBlob, toCsv } from '../download'
import { postBytes } from '../dashboard/post-bytes'
import { isZip } from '../dashboard/upload-dataset'
import { ErrorNote } from '../error-note'
import { formatNumber, formatPercent } from '../format'

const SHOWN = 200

type Predictions = PredictResponse['predictions']

/**
 * Upload rows without (or with) the target column, or a zip of images for image models:
 * a label and probability per row, or a value for regression.
 */
export function PredictPanel({ jobId, task, images = false }: { jobId: string; task: TaskType; images?: boolean }) {
  const [predictions, setPredictions] = useState<Predictions | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const regression = task === 'regression'

  async function onChange(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0]
    if (!file) return
    setBusy(true)
    setError(null)
    try {
      const path = `/api/jobs/${encodeURIComponent(jobId)}/predict`
      const res = isZip(file)
        ? await postBytes(path, file, { contentType: 'application/zip', parse: PredictResponse.parse })
        : await api(path, { method: 'POST', body: await file.text(), contentType: 'text/csv', parse: PredictResponse.parse })
      setPredictions(res.predictions)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
      e.target.value = ''
    }
  }

  function downloadCsv() {
    if (!predictions) return
    const rows = regression
      ? [['row', 'value'], ...predictions.map((p, i) => [i + 1, p.value ?? p.label])]
      : [['row', 'label', 'probability'], ...predictions.map((p, i) => [i + 1, p.label, p.probability ?? ''])]
    downloadBlob(new Blob([toCsv(rows)], { type: 'text/csv' }), `predictions-${jobId}.csv`)
  }

  return (
    <section className="card" aria-labelledby="predict-title">
      <h2 id="predict-title">Predict</h2>
      <p className="muted small">
        {images
          ? 'Upload a zip of images of the training size; predictions come back in file-name order.'
          : 'Upload a CSV with the same feature columns as the training data; the target column may be left out.'}
      </p>
      <div className="field">
        <label htmlFor="predict-input">{images ? 'Zip of images to predict' : 'CSV to predict'}</label>
        <input
          id="predict-input"
          type="file"
          accept={images ? '.zip,application/zip' : '.csv,text/csv'}
          onChange={onChange}
          disabled={busy}
          data-testid="predict-input"
        />
      </div>
      <p aria-live="polite" className="small muted" style={{ marginTop: '0.5rem' }}>
        {busy ? 'Predicting…' : predictions ? `${predictions.length} predictions.` : ''}
      </p>
      <ErrorNote error={error} testId="predict-error" />
      {predictions && (
        <>
          <div className="row" style={{ marginBottom: '0.75rem' }}>
            <button type="button" className="btn" onClick={downloadCsv} data-testid="download-predictions">
              Download CSV
            </button>
          </div>
          <div className="table-wrap" tabIndex={0}>
            <table data-testid="predictions-table">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Row
                  </th>
                  {regression ? (
                    <th scope="col" className="num">
                      Predicted value
                    </th>
                  ) : (
                    <>
                      <th scope="col">Label</th>
                      <th scope="col" className="num">
                        Probability
                      </th>
                    </>
                  )}
                </tr>
              </thead>
              <tbody>
                {predictions.slice(0, SHOWN).map((p, i) => (
                  <tr key={i}>
                    <td className="num">{i + 1}</td>
                    {regression ? (
                      <td className="num">{p.value !== undefined ? formatNumber(p.value, 4) : p.label}</td>
                    ) : (
                      <>
                        <td>{p.label}</td>
                        <td className="num">{formatPercent(p.probability)}</td>
                      </>
                    )}
                  </tr>
                ))}
              </tbody>
              {predictions.length > SHOWN && (
                <caption>
                  Showing the first {SHOWN} of {predictions.length}. Download the CSV for all of them.
                </caption>
              )}
            </table>
          </div>
        </>
      )}
    </section>
  )
}
