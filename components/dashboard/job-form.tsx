'use client'

import { useRouter } from 'next/navigation'
import { useState, type FormEvent } from 'react'
import { z } from 'zod'
import type { DatasetView } from '@/lib/protocol'
import { api, ApiError } from '../api-client'
import { ErrorNote } from '../error-note'
import { describedBy, FormField } from './form-field'
import { buildJobBody, DEFAULT_VALUES, fieldFor, type FieldErrors, type JobFormField, type JobFormValues } from './job-form-values'

const Created = z.union([z.object({ id: z.string() }), z.object({ job: z.object({ id: z.string() }) }).transform((r) => r.job)])

/** Choose the target and model, then POST /api/jobs and go to the job's live page. */
export function JobForm({ dataset }: { dataset: DatasetView }) {
  const router = useRouter()
  const lastColumn = dataset.columns.at(-1)?.name ?? ''
  const [values, setValues] = useState<JobFormValues>({ ...DEFAULT_VALUES, target: lastColumn })
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  const set = (field: JobFormField) => (e: { target: { value: string } }) => {
    setValues((v) => ({ ...v, [field]: e.target.value }))
    setErrors((er) => ({ ...er, [field]: undefined }))
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    setFormError(null)
    const built = buildJobBody(dataset.id, values)
    if ('errors' in built) return setErrors(built.errors)
    setErrors({})
    setBusy(true)
    try {
      const { id } = await api('/api/jobs', { method: 'POST', body: built.body, parse: Created.parse })
      router.push(`/jobs/${encodeURIComponent(id)}`)
    } catch (err) {
      const field = err instanceof ApiError ? fieldFor(err.field, err.code) : null
      if (field && err instanceof ApiError) setErrors({ [field]: err.message })
      else setFormError(err)
      setBusy(false)
    }
  }

  const control = (id: string, field: JobFormField, hint?: string) => ({
    id,
    value: values[field],
    onChange: set(field),
    'aria-invalid': errors[field] ? true : undefined,
    'aria-describedby': describedBy(id, hint, errors[field]),
  })

  return (
    <section className="card" aria-labelledby="job-form-title">
      <h2 id="job-form-title">2. Train a model</h2>
      <form onSubmit={submit} noValidate>
        <div className="form-grid">
          <FormField id="target" label="Column to predict" error={errors.target}>
            <select {...control('target', 'target')} data-testid="target-select">
              {dataset.columns.map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name} ({c.type}, {c.distinct} values)
                </option>
              ))}
            </select>
          </FormField>
          <FormField id="template" label="Model" error={errors.template}>
            <select {...control('template', 'template')} data-testid="template-select">
              <option value="logistic">Logistic regression</option>
              <option value="mlp">Neural network (MLP)</option>
            </select>
          </FormField>
          {values.template === 'mlp' && (
            <FormField id="hidden" label="Hidden layer sizes" hint="Comma separated, e.g. 32, 16" error={errors.hidden}>
              <input type="text" inputMode="numeric" {...control('hidden', 'hidden', 'Comma separated, e.g. 32, 16')} data-testid="hidden-input" />
            </FormField>
          )}
          <FormField id="epochs" label="Rounds (epochs)" error={errors.epochs}>
            <input type="number" min={1} max={1000} step={1} {...control('epochs', 'epochs')} data-testid="epochs-input" />
          </FormField>
          <FormField id="batchSize" label="Batch size" error={errors.batchSize}>
            <input type="number" min={1} step={1} {...control('batchSize', 'batchSize')} data-testid="batch-input" />
          </FormField>
          <FormField id="learningRate" label="Learning rate" error={errors.learningRate}>
            <input type="number" min={0} step="any" {...control('learningRate', 'learningRate')} data-testid="lr-input" />
          </FormField>
          <FormField id="jobName" label="Name (optional)" error={errors.name}>
            <input type="text" {...control('jobName', 'name')} placeholder={`${dataset.name} → ${values.target}`} data-testid="name-input" />
          </FormField>
        </div>
        <ErrorNote error={formError} testId="job-form-error" />
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="submit-job">
          {busy ? 'Starting…' : 'Start training'}
        </button>
      </form>
    </section>
  )
}
