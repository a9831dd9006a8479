'use client'

import { useState } from 'react'
import { ErrorNote } from '../error-note'

type Answer = { devicesNeeded: number; segments: number; bubbleFraction: number; rowsPerSec: number; text: string }

/**
 * "Would my model fit the network?": the pipeline planner on paper. A model of N parameters,
 * devices of a given memory and bandwidth -> segments, devices needed, bubble and throughput.
 */
export function PaperPlanner() {
  const [params, setParams] = useState('100e9')
  const [memory, setMemory] = useState('8GiB')
  const [bandwidth, setBandwidth] = useState('100Mbit')
  const [micro, setMicro] = useState('32')
  const [training, setTraining] = useState(false)
  const [answer, setAnswer] = useState<Answer | null>(null)
  const [error, setError] = useState<unknown>(null)

  async function plan(e: React.FormEvent) {
    e.preventDefault()
    setError(null)
    const q = new URLSearchParams({ params, deviceMemory: memory, bandwidth, microBatches: micro, training: String(training) })
    const res = await fetch(`/api/plan?${q}`)
    const body = await res.json()
    if (!res.ok) {
      setAnswer(null)
      setError(new Error(body?.error?.message ?? `HTTP ${res.status}`))
    } else setAnswer(body)
  }

  return (
    <section className="card" aria-labelledby="planner-title" data-testid="paper-planner">
      <h2 id="planner-title">Plan a model too big for one device</h2>
      <p className="muted">Nimble cuts a large model into contiguous segments that each fit one device, and pipelines micro-batches through them.</p>
      <form onSubmit={plan}>
        <div className="form-grid">
          <div className="field">
            <label htmlFor="planner-params">Parameters</label>
            <input id="planner-params" value={params} onChange={(e) => setParams(e.target.value)} data-testid="planner-params" />
          </div>
          <div className="field">
            <label htmlFor="planner-memory">Memory per device</label>
            <input id="planner-memory" value={memory} onChange={(e) => setMemory(e.target.value)} data-testid="planner-memory" />
          </div>
          <div className="field">
            <label htmlFor="planner-bandwidth">Bandwidth</label>
            <input id="planner-bandwidth" value={bandwidth} onChange={(e) => setBandwidth(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="planner-micro">Micro-batches</label>
            <input id="planner-micro" type="number" min={1} value={micro} onChange={(e) => setMicro(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="planner-training">Plan for</label>
            <select id="planner-training" value={training ? 'train' : 'infer'} onChange={(e) => setTraining(e.target.value === 'train')}>
              <option value="infer">Inference (weights only)</option>
              <option value="train">Training (gradients, Adam state)</option>
            </select>
          </div>
        </div>
        <button type="submit" className="btn" data-testid="planner-submit">
          Plan it
        </button>
      </form>
      <ErrorNote error={error} />
      {answer ? (
        <div data-testid="planner-answer">
          <p>
            <strong>{answer.segments}</strong> segments on <strong>{answer.devicesNeeded}</strong> devices · bubble {(answer.bubbleFraction * 100).toFixed(1)}% · {answer.rowsPerSec.toFixed(3)} rows/s
          </p>
          <pre className="code" tabIndex={0}>{answer.text}</pre>
        </div>
      ) : null}
    </section>
  )
}
