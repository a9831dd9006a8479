import type { DatasetView } from '@/lib/protocol'
import { NumberField, SelectField } from './fields'
import type { FieldErrors, JobFormValues } from './job-form-values'
import type { Control } from './use-job-form'

type Props = { values: JobFormValues; errors: FieldErrors; control: Control; dataset: DatasetView; hasText: boolean }

/** Class weights, text features, splits and seed; then how devices' work is combined (FedAvg / DiLoCo) and how much each does. */
export function AdvancedData({ values: v, errors, control, dataset, hasText }: Props) {
  const p = { control, errors }
  return (
    <>
      <fieldset className="subpanel">
        <legend>Data</legend>
        <div className="form-grid">
          {v.task !== 'regression' && (
            <SelectField
              id="classWeights"
              field="classWeights"
              label="Class weights"
              hint="Balanced gives rare classes more weight"
              testId="class-weights-select"
              options={[
                { value: 'none', label: 'None' },
                { value: 'balanced', label: 'Balanced' },
              ]}
              {...p}
            />
          )}
          {dataset.kind === 'table' && hasText && (
            <>
              <NumberField id="textFeatures" field="textFeatures" label="Text features" hint="Hashed word buckets (16–65536)" placeholder="default" min={16} max={65_536} step={1} testId="text-features-input" {...p} />
              <SelectField
                id="textWeighting"
                field="textWeighting"
                label="Text weighting"
                testId="text-weighting-select"
                options={[
                  { value: 'tfidf', label: 'TF-IDF' },
                  { value: 'count', label: 'Word counts' },
                  { value: 'binary', label: 'Presence (0/1)' },
                ]}
                {...p}
              />
            </>
          )}
          <NumberField id="validationSplit" field="validationSplit" label="Validation share" hint="0 to 0.5 of the rows" min={0} max={0.5} step={0.05} testId="validation-split-input" {...p} />
          <NumberField id="testSplit" field="testSplit" label="Test share" hint="Held out for the final report" min={0} max={0.5} step={0.05} testId="test-split-input" {...p} />
          <NumberField id="seed" field="seed" label="Seed" hint="Same seed, same split and start" step={1} testId="seed-input" {...p} />
        </div>
      </fieldset>
      <fieldset className="subpanel">
        <legend>Distributed training</legend>
        <div className="form-grid">
          <SelectField
            id="algorithm"
            field="algorithm"
            label="Algorithm"
            testId="algorithm-select"
            options={[
              { value: 'fedavg', label: 'FedAvg (weighted mean)' },
              { value: 'diloco', label: 'DiLoCo (outer Nesterov)' },
            ]}
            {...p}
          />
          {v.algorithm === 'diloco' && (
            <>
              <NumberField id="outerLearningRate" field="outerLearningRate" label="Outer learning rate" min={0} max={10} step={0.05} testId="outer-lr-input" {...p} />
              <NumberField id="outerMomentum" field="outerMomentum" label="Outer momentum" min={0} max={0.999} step={0.05} testId="outer-momentum-input" {...p} />
            </>
          )}
          <SelectField
            id="localMode"
            field="localMode"
            label="Work per task"
            testId="local-mode-select"
            options={[
              { value: 'epochs', label: 'Local epochs' },
              { value: 'steps', label: 'Local steps' },
            ]}
            {...p}
          />
          {v.localMode === 'epochs' ? (
            <NumberField id="localEpochs" field="localEpochs" label="Local epochs" hint="Passes over the shard per task" min={1} max={100} step={1} testId="local-epochs-input" {...p} />
          ) : (
            <NumberField id="localSteps" field="localSteps" label="Local steps" hint="Mini-batch steps per task" min={1} max={100_000} step={1} testId="local-steps-input" {...p} />
          )}
        </div>
      </fieldset>
    </>
  )
}
