'use client'
/** The job form's state: values, per-field errors, and the props that wire a control to a field. */
import { useState } from 'react'
import type { DatasetView, Template } from '@/lib/protocol'
import { describedBy } from './form-field'
import { initialValues, withTask, withTemplate, type TaskChoice, type FieldErrors, type JobFormField, type JobFormValues, type StringField } from './job-form-values'

export type ControlProps = {
  id: string
  value: string
  onChange: (e: { target: { value: string } }) => void
  'aria-invalid': true | undefined
  'aria-describedby': string | undefined
}

/** Props for the control of `field`, with DOM id `id` (the FormField's id; its error is `${id}-error`). */
export type Control = (id: string, field: StringField, hint?: string) => ControlProps

export function useJobForm(dataset: DatasetView) {
  const [values, setValues] = useState<JobFormValues>(() => initialValues(dataset))
  const [errors, setErrors] = useState<FieldErrors>({})

  function setField<K extends JobFormField>(field: K, value: JobFormValues[K]) {
    setValues((v) =>
      field === 'template' ? withTemplate(v, value as Template) : field === 'task' ? withTask(v, value as TaskChoice) : { ...v, [field]: value },
    )
    setErrors((er) => (er[field] ? { ...er, [field]: undefined } : er))
  }

  const control: Control = (id, field, hint) => ({
    id,
    value: values[field],
    onChange: (e) => setField(field, e.target.value as JobFormValues[typeof field]),
    'aria-invalid': errors[field] ? true : undefined,
    'aria-describedby': describedBy(id, hint, errors[field]),
  })

  return { values, errors, setErrors, setField, control }
}
