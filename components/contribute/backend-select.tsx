import { BACKEND_CHOICES, type BackendChoice } from './donation-state'

const LABELS: Record<BackendChoice, string> = {
  auto: 'Auto (fastest)',
  webgpu: 'WebGPU',
  wasm: 'WASM',
  cpu: 'CPU',
}

export function BackendSelect({
  value,
  onChange,
  disabled,
}: {
  value: BackendChoice
  onChange: (v: BackendChoice) => void
  disabled?: boolean
}) {
  return (
    <div className="field">
      <label htmlFor="backend-select">Backend</label>
      <select
        id="backend-select"
        data-testid="backend-select"
        value={value}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value as BackendChoice)}
      >
        {BACKEND_CHOICES.map((c) => (
          <option key={c} value={c}>
            {LABELS[c]}
          </option>
        ))}
      </select>
    </div>
  )
}
