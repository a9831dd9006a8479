import type { ReactElement, ReactNode } from 'react'

/** A labelled control with an optional hint and an error wired up through aria-describedby. */
export function FormField({
  id,
  label,
  hint,
  error,
  children,
}: {
  id: string
  label: string
  hint?: ReactNode
  error?: string
  /** The control; give it `id`, `aria-invalid` and `aria-describedby={describedBy(id, hint, error)}`. */
  children: ReactElement
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <span id={`${id}-hint`} className="field-hint">
          {hint}
        </span>
      )}
      {error && (
        <span id={`${id}-error`} className="field-error" role="alert" data-testid={`${id}-error`}>
          {error}
        </span>
      )}
    </div>
  )
}

export function describedBy(id: string, hint?: unknown, error?: string): string | undefined {
  const ids = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean)
  return ids.length ? ids.join(' ') : undefined
}
