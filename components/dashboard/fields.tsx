import { FormField } from './form-field'
import type { FieldErrors, StringField } from './job-form-values'
import type { Control } from './use-job-form'

type Common = {
  id: string
  field: StringField
  label: string
  hint?: string
  testId: string
  control: Control
  errors: FieldErrors
}

/** A labelled number input bound to one form field. */
export function NumberField({ id, field, label, hint, testId, control, errors, min, max, step = 'any', placeholder }: Common & { min?: number; max?: number; step?: number | 'any'; placeholder?: string }) {
  return (
    <FormField id={id} label={label} hint={hint} error={errors[field]}>
      <input type="number" inputMode="decimal" min={min} max={max} step={step} placeholder={placeholder} {...control(id, field, hint)} data-testid={testId} />
    </FormField>
  )
}

/** A labelled select bound to one form field. */
export function SelectField({ id, field, label, hint, testId, control, errors, options }: Common & { options: { value: string; label: string; disabled?: boolean }[] }) {
  return (
    <FormField id={id} label={label} hint={hint} error={errors[field]}>
      <select {...control(id, field, hint)} data-testid={testId}>
        {options.map((o) => (
          <option key={o.value} value={o.value} disabled={o.disabled}>
            {o.label}
          </option>
        ))}
      </select>
    </FormField>
  )
}

/** A labelled text input bound to one form field (lists like "16, 32"). */
export function TextField({ id, field, label, hint, testId, control, errors, placeholder }: Common & { placeholder?: string }) {
  return (
    <FormField id={id} label={label} hint={hint} error={errors[field]}>
      <input type="text" placeholder={placeholder} {...control(id, field, hint)} data-testid={testId} />
    </FormField>
  )
}
