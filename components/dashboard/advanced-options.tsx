import type { DatasetView } from '@/lib/protocol'
import { AdvancedData } from './advanced-data'
import { AdvancedTraining } from './advanced-training'
import type { FieldErrors, JobFormValues } from './job-form-values'
import type { Control } from './use-job-form'

type Props = {
  open: boolean
  onToggle: (open: boolean) => void
  values: JobFormValues
  errors: FieldErrors
  control: Control
  setEarlyStopping: (on: boolean) => void
  dataset: DatasetView
  hasText: boolean
}

/** The "Advanced" disclosure. Every field starts at the coordinator's default and is only sent when changed. */
export function AdvancedOptions({ open, onToggle, dataset, hasText, ...rest }: Props) {
  return (
    <details className="advanced" open={open} onToggle={(e) => onToggle(e.currentTarget.open)} data-testid="advanced">
      <summary>Advanced</summary>
      <p className="muted small">Defaults suit most data; only what you change is sent.</p>
      <AdvancedTraining {...rest} />
      <AdvancedData values={rest.values} errors={rest.errors} control={rest.control} dataset={dataset} hasText={hasText} />
    </details>
  )
}
