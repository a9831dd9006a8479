'use client'

import { useRouter } from 'next/navigation'
import { useMemo, useState, type FormEvent } from 'react'
import type { DatasetView } from '@/lib/protocol'
import { ApiError } from '../api-client'
import { ErrorNote } from '../error-note'
import { AdvancedOptions } from './advanced-options'
import { buildJobBody } from './build-job-body'
import { effectiveRole, type ColumnRoles } from './column-roles'
import { createJob, jobHref } from './create-job'
import { CustomModelUpload } from './custom-model-upload'
import { NumberField, SelectField } from './fields'
import { FormField } from './form-field'
import { JobEstimatePanel } from './job-estimate'
import { ADVANCED_FIELDS, type FieldErrors } from './job-form-values'
import { fieldFor } from './server-field'
import { useJobForm } from './use-job-form'

const HIDDEN_HINT = 'Comma separated, e.g. 32, 16'

/** Choose the target, task and model (plus advanced options), then POST /api/jobs and go to the job's live page. */
export function JobForm({ dataset, roles }: { dataset: DatasetView; roles: ColumnRoles }) {
  const router = useRouter()
  const { values, errors, setErrors, setField, control } = useJobForm(dataset)
  const [advancedOpen, setAdvancedOpen] = useState(false)
  const [formError, setFormError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const images = dataset.kind === 'images'
  const hasText = dataset.columns.some((c) => c.name !== values.target && effectiveRole(c, roles) === 'text')
  const p = { control, errors }
  // The body as the form stands, for the estimate (null while a field is invalid).
  const preview = useMemo(() => (values.template === 'custom' && !values.modelId ? null : buildJobBody(dataset, roles, values)), [dataset, roles, values])

  function showErrors(next: FieldErrors) {
    setErrors(next)
    if (ADVANCED_FIELDS.some((f) => next[f])) setAdvancedOpen(true)
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    setFormError(null)
    const built = buildJobBody(dataset, roles, values)
    if ('errors' in built) return showErrors(built.errors)
    setErrors({})
    setBusy(true)
    try {
      router.push(jobHref(await createJob(built.body)))
    } catch (err) {
      const field = err instanceof ApiError ? fieldFor(err.field, err.code) : null
      if (field && err instanceof ApiError) showErrors({ [field]: err.message })
      else setFormError(err)
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="job-form-title">
      <h2 id="job-form-title">3. Train a model</h2>
      <form onSubmit={submit} noValidate>
        <div className="form-grid">
          {!images && (
            <>
              <FormField id="target" label="Column to predict" error={errors.target}>
                <select {...control('target', 'target')} data-testid="target-select">
                  {dataset.columns.map((c) => (
                    <option key={c.name} value={c.name}>
                      {c.name} ({c.type}, {c.distinct} values)
                    </option>
                  ))}
                </select>
              </FormField>
              <SelectField
                id="task"
                field="task"
                label="Task"
                hint="Auto decides from the target column"
                testId="task-select"
                options={[
                  { value: 'auto', label: 'Auto' },
                  { value: 'classification', label: 'Classification' },
                  { value: 'regression', label: 'Regression' },
                ]}
                {...p}
              />
            </>
          )}
          <SelectField
            id="template"
            field="template"
            label="Model"
            testId="template-select"
            options={[
              { value: 'logistic', label: 'Logistic regression' },
              { value: 'linear', label: 'Linear regression', disabled: images },
              { value: 'mlp', label: 'Neural network (MLP)' },
              { value: 'cnn', label: 'CNN (images)', disabled: !images },
              { value: 'custom', label: 'Custom (upload)' },
            ]}
            {...p}
          />
          {values.template === 'mlp' && (
            <FormField id="hidden" label="Hidden layer sizes" hint={HIDDEN_HINT} error={errors.hidden}>
              <input type="text" inputMode="numeric" {...control('hidden', 'hidden', HIDDEN_HINT)} data-testid="hidden-input" />
            </FormField>
          )}
          <NumberField id="epochs" field="epochs" label="Rounds (epochs)" min={1} max={1000} step={1} testId="epochs-input" {...p} />
          <NumberField id="batchSize" field="batchSize" label="Batch size" min={1} step={1} testId="batch-input" {...p} />
          <NumberField id="learningRate" field="learningRate" label="Learning rate" min={0} testId="lr-input" {...p} />
          <NumberField id="budget" field="budget" label="Budget in tokens (optional)" min={0} testId="budget-input" {...p} />
          <NumberField id="deadlineMinutes" field="deadlineMinutes" label="Deadline in minutes (optional)" min={0} testId="deadline-input" {...p} />
          <FormField id="jobName" label="Name (optional)" error={errors.name}>
            <input type="text" {...control('jobName', 'name')} placeholder={`${dataset.name} → ${images ? 'class' : values.target}`} data-testid="name-input" />
          </FormField>
        </div>
        {values.template === 'custom' && <CustomModelUpload onModel={(id) => setField('modelId', id)} error={errors.modelId} />}
        <AdvancedOptions
          open={advancedOpen}
          onToggle={setAdvancedOpen}
          values={values}
          errors={errors}
          control={control}
          setEarlyStopping={(on) => setField('earlyStopping', on)}
          dataset={dataset}
          hasText={hasText}
        />
        <JobEstimatePanel body={preview && 'body' in preview ? preview.body : null} budget={preview && 'body' in preview ? preview.body.budget : undefined} />
        <ErrorNote error={formError} testId="job-form-error" />
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="submit-job">
          {busy ? 'Starting…' : 'Start training'}
        </button>
      </form>
    </section>
  )
}
