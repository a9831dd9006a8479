'use client'

import { useEffect, useState } from 'react'
import type { TaskType } from '@/lib/protocol'
import { apiBlob } from '../api-client'
import { downloadBlob } from '../download'
import { ErrorNote } from '../error-note'

const FILES = [
  { path: 'model', name: 'model.json' },
  { path: 'model.weights.bin', name: 'model.weights.bin' },
  { path: 'preprocessing.json', name: 'preprocessing.json' },
] as const

/** model.json + model.weights.bin + the preprocessing manifest, fetched with the session cookie or saved key and saved through Blob URLs. */
export function ModelDownload({ jobId, task = 'classification' }: { jobId: string; task?: TaskType }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [origin, setOrigin] = useState('https://your-coordinator')
  useEffect(() => setOrigin(window.location.origin), [])

  const base = `/api/jobs/${encodeURIComponent(jobId)}`

  async function download(files: readonly (typeof FILES)[number][]) {
    setBusy(true)
    setError(null)
    try {
      const blobs = await Promise.all(files.map((f) => apiBlob(`${base}/${f.path}`)))
      blobs.forEach((blob, i) => downloadBlob(blob, files[i]!.name))
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  const predictLine =
    task === 'regression'
      ? `// One row of features, preprocessed as in training -> the predicted value
const [value] = model.predict(tf.tensor2d([features])).dataSync()`
      : `// One row of features, preprocessed as in training -> class probabilities
const probabilities = model.predict(tf.tensor2d([features])).dataSync()`

  const snippet = `import * as tf from '@tensorflow/tfjs'

// From the two downloaded files (e.g. picked with <input type="file" multiple>):
const model = await tf.loadLayersModel(tf.io.browserFiles([modelJsonFile, weightsFile]))

// Or straight from the coordinator, with an API key (Account, once signed in):
const remote = await tf.loadLayersModel('${origin}${base}/model', {
  requestInit: { headers: { Authorization: 'Bearer <API key>' } },
})

${predictLine}`

  return (
    <section className="card" aria-labelledby="model-title">
      <h2 id="model-title">Your model</h2>
      <p>A TensorFlow.js layers model: the architecture in model.json and the trained weights in model.weights.bin.</p>
      <div className="row" style={{ marginBottom: '1rem' }}>
        <button type="button" className="btn btn-primary" onClick={() => download(FILES)} disabled={busy} data-testid="download-model">
          {busy ? 'Preparing download…' : 'Download model'}
        </button>
        <span className="muted small">or one file:</span>
        {FILES.map((f) => (
          <button key={f.name} type="button" className="btn" onClick={() => download([f])} disabled={busy}>
            {f.name}
          </button>
        ))}
      </div>
      <p className="muted small">Your browser may ask once before saving several files.</p>
      <ErrorNote error={error} />
      <h3>Load it with TensorFlow.js</h3>
      {/* Focusable so keyboard users can scroll the long lines. */}
      <pre tabIndex={0} aria-label="Code to load the model">
        <code>{snippet}</code>
      </pre>
    </section>
  )
}
