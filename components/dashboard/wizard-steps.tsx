/** Where the owner is in "new job": sign in → upload → target and model → estimate → start. */
const STEPS = ['Sign in', 'Upload data', 'Target and model', 'Cost and time estimate', 'Start training'] as const

export function WizardSteps({ current }: { current: number }) {
  return (
    <nav aria-label="New job steps">
      <ol className="wizard-steps" data-testid="wizard-steps">
        {STEPS.map((label, i) => (
          <li key={label} aria-current={i === current ? 'step' : undefined} className={i < current ? 'done' : undefined}>
            <span className="wizard-num" aria-hidden="true">
              {i + 1}
            </span>
            {label}
          </li>
        ))}
      </ol>
    </nav>
  )
}
