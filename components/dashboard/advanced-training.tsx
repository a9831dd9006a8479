import { NumberField, SelectField, TextField } from './fields'
import type { FieldErrors, JobFormValues } from './job-form-values'
import type { Control } from './use-job-form'

type Props = {
  values: JobFormValues
  errors: FieldErrors
  control: Control
  setEarlyStopping: (on: boolean) => void
}

/** Model regularisation, optimizer, learning-rate schedule and early stopping. */
export function AdvancedTraining({ values: v, errors, control, setEarlyStopping }: Props) {
  const p = { control, errors }
  return (
    <>
      {(v.template === 'mlp' || v.template === 'cnn') && (
        <fieldset className="subpanel">
          <legend>Model</legend>
          <div className="form-grid">
            <NumberField id="dropout" field="dropout" label="Dropout" hint="0 to 0.9; 0 turns it off" min={0} max={0.9} step={0.05} testId="dropout-input" {...p} />
            {v.template === 'cnn' && (
              <TextField id="filters" field="filters" label="CNN filters per block" hint="Comma separated, 1 to 4 blocks, e.g. 16, 32" testId="filters-input" {...p} />
            )}
          </div>
        </fieldset>
      )}
      <fieldset className="subpanel">
        <legend>Optimizer and learning rate</legend>
        <div className="form-grid">
          <SelectField
            id="optimizer"
            field="optimizer"
            label="Optimizer"
            testId="optimizer-select"
            options={[
              { value: 'adam', label: 'Adam' },
              { value: 'sgd', label: 'SGD' },
              { value: 'momentum', label: 'SGD with momentum' },
            ]}
            {...p}
          />
          {v.optimizer === 'momentum' && <NumberField id="momentum" field="momentum" label="Momentum" min={0} max={0.999} step={0.05} testId="momentum-input" {...p} />}
          <SelectField
            id="scheduleType"
            field="scheduleType"
            label="LR schedule"
            testId="schedule-select"
            options={[
              { value: 'constant', label: 'Constant' },
              { value: 'step', label: 'Step decay' },
              { value: 'exponential', label: 'Exponential decay' },
              { value: 'cosine', label: 'Cosine' },
            ]}
            {...p}
          />
          {(v.scheduleType === 'step' || v.scheduleType === 'exponential') && (
            <NumberField id="gamma" field="gamma" label="Gamma" hint={v.scheduleType === 'step' ? 'LR × gamma every step' : 'LR × gamma per round'} min={0} max={1} step={0.05} testId="gamma-input" {...p} />
          )}
          {v.scheduleType === 'step' && <NumberField id="stepRounds" field="stepRounds" label="Step every (rounds)" min={1} max={1000} step={1} testId="step-rounds-input" {...p} />}
          {v.scheduleType === 'cosine' && <NumberField id="minLearningRate" field="minLearningRate" label="Minimum LR" min={0} max={10} testId="min-lr-input" {...p} />}
        </div>
      </fieldset>
      <fieldset className="subpanel">
        <legend>Early stopping</legend>
        <label className="check">
          <input type="checkbox" checked={v.earlyStopping} onChange={(e) => setEarlyStopping(e.target.checked)} data-testid="early-stopping-checkbox" />
          Stop when the validation loss stops improving (the best round’s weights are kept)
        </label>
        {v.earlyStopping && (
          <div className="form-grid" style={{ marginTop: '0.75rem' }}>
            <NumberField id="patience" field="patience" label="Patience (rounds)" min={1} max={1000} step={1} testId="patience-input" {...p} />
            <NumberField id="minDelta" field="minDelta" label="Min improvement" hint="Smaller changes in loss do not count" min={0} testId="min-delta-input" {...p} />
          </div>
        )}
      </fieldset>
    </>
  )
}

