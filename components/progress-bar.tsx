/** An accessible progress bar: role=progressbar with aria-valuenow in percent (0..100). */
export function ProgressBar({
  fraction,
  label,
  valueText,
  testId,
}: {
  /** 0..1 */
  fraction: number
  /** Accessible name, e.g. "Training progress". */
  label: string
  /** Spoken value, e.g. "round 3 of 30". */
  valueText?: string
  testId?: string
}) {
  const pct = Math.round(Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0)) * 100)
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      aria-valuetext={valueText ?? `${pct}%`}
      data-testid={testId}
    >
      <div className="progress-fill" style={{ width: `${pct}%` }} />
    </div>
  )
}
