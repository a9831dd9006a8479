'use client'

import { useState, type ChangeEvent } from 'react'
import { ModelView } from '@/lib/protocol'
import { api } from '../api-client'
import { ErrorNote } from '../error-note'
import { formatNumber } from '../format'
import { modelBody, readModelJson, type ModelJson } from './custom-model-file'

/** Pick model.json (and optionally its .bin weights); POST /api/models; report the model's id to the form. */
export function CustomModelUpload({ onModel, error: formError }: { onModel: (id: string) => void; error?: string }) {
  const [model, setModel] = useState<{ name: string; json: ModelJson } | null>(null)
  const [weights, setWeights] = useState<File[]>([])
  const [view, setView] = useState<ModelView | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  async function send(m: { name: string; json: ModelJson } | null, w: File[]) {
    if (!m) return
    setBusy(true)
    setError(null)
    setView(null)
    onModel('')
    try {
      const body = await modelBody(m.name, m.json, w)
      const v = await api('/api/models', { method: 'POST', body, parse: (d) => ModelView.parse(d && typeof d === 'object' && 'model' in d ? d.model : d) })
      setView(v)
      onModel(v.id)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  async function onModelFile(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0]
    if (!file) return
    try {
      const m = { name: file.name.replace(/\.json$/i, '') || 'uploaded model', json: await readModelJson(file) }
      setModel(m)
      await send(m, weights)
    } catch (err) {
      setError(err)
      onModel('')
    }
  }

  async function onWeightFiles(e: ChangeEvent<HTMLInputElement>) {
    const files = Array.from(e.target.files ?? [])
    setWeights(files)
    await send(model, files)
  }

  return (
    <fieldset className="subpanel" data-testid="custom-model">
      <legend>Your model (TensorFlow.js Layers)</legend>
      <div className="form-grid">
        <div className="field">
          <label htmlFor="model-json">model.json</label>
          <input
            id="model-json"
            type="file"
            accept=".json,application/json"
            onChange={onModelFile}
            disabled={busy}
            aria-invalid={formError ? true : undefined}
            aria-describedby={formError ? 'modelId-error' : undefined}
            data-testid="model-json-input"
          />
          {formError && (
            <span id="modelId-error" className="field-error" role="alert" data-testid="modelId-error">
              {formError}
            </span>
          )}
        </div>
        <div className="field">
          <label htmlFor="model-weights">Weights .bin (optional)</label>
          <input id="model-weights" type="file" accept=".bin,application/octet-stream" multiple onChange={onWeightFiles} disabled={busy} data-testid="model-weights-input" />
          <span className="field-hint">Without weights, training starts from a fresh random initialisation.</span>
        </div>
      </div>
      <p aria-live="polite" className="small muted">
        {busy ? 'Checking the model…' : ''}
      </p>
      <ErrorNote error={error} testId="custom-model-error" />
      {view && <ModelFacts view={view} />}
    </fieldset>
  )
}

function ModelFacts({ view }: { view: ModelView }) {
  return (
    <div data-testid="custom-model-view">
      <dl className="dl">
        <dt>Model</dt>
        <dd>
          {view.name} <code>{view.id}</code>
        </dd>
        <dt>Input shape</dt>
        <dd data-testid="custom-model-input">[{view.inputShape.join(', ')}]</dd>
        <dt>Outputs</dt>
        <dd>{view.outputUnits}</dd>
        <dt>Parameters</dt>
        <dd data-testid="custom-model-params">{formatNumber(view.params, 0)}</dd>
        <dt>Initial weights</dt>
        <dd>{view.hasWeights ? 'from your .bin' : 'random'}</dd>
        <dt>Layers ({view.layers.length})</dt>
        <dd>
          <ol className="layer-list">
            {view.layers.map((l, i) => (
              <li key={`${l.name}-${i}`}>
                <code>{l.className}</code> <span className="muted small">{l.name}</span>
              </li>
            ))}
          </ol>
        </dd>
      </dl>
    </div>
  )
}
