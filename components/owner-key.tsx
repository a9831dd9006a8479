'use client'

import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { onOwnerKeyRequested, useOwnerKey, writeOwnerKey } from './owner-key-store'

/**
 * The secondary way in: paste an API key (created after a wallet sign-in) or the operator's
 * admin key (kept in the coordinator's data directory). Folded away until asked for, or
 * until a call comes back 401; a saved key shows as one line.
 */
export function OwnerKey() {
  const key = useOwnerKey()
  const [editing, setEditing] = useState(false)
  const [draft, setDraft] = useState('')
  const [reason, setReason] = useState<string | null>(null)
  const [expanded, setExpanded] = useState(false)
  const inputRef = useRef<HTMLInputElement>(null)
  const id = useId()

  useEffect(
    () =>
      onOwnerKeyRequested((why) => {
        setReason(why)
        setEditing(true)
      }),
    [],
  )

  const open = editing || !key
  useEffect(() => {
    if (open && reason) inputRef.current?.focus()
  }, [open, reason])

  function save(e: FormEvent) {
    e.preventDefault()
    const value = draft.trim()
    if (!value) return
    writeOwnerKey(value)
    setDraft('')
    setReason(null)
    setEditing(false)
  }

  if (key && !open) {
    return (
      <section className="card row" aria-label="Saved key">
        <span>
          Key saved in this browser <span className="muted">(…{key.slice(-4)})</span>
        </span>
        <button type="button" className="btn" onClick={() => setEditing(true)}>
          Change key
        </button>
        <button type="button" className="btn btn-danger" onClick={() => writeOwnerKey(null)}>
          Forget key
        </button>
      </section>
    )
  }

  return (
    <details className="card" open={open && (editing || reason !== null || expanded)} onToggle={(e) => {
        const nowOpen = e.currentTarget.open
        setExpanded(nowOpen)
        if (!nowOpen) (setEditing(false), setReason(null))
      }} data-testid="owner-key-box">
      <summary id={`${id}-title`}>Have an API key, or the operator’s admin key? Paste it instead</summary>
      <p className="muted small">
        An API key is made under Account once you are signed in (for scripts and the command line). The operator’s admin key is
        in a file in the coordinator’s data directory (ask the operator; it is printed nowhere). Either stays in this browser only.
      </p>
      {reason && (
        <p className="notice notice-error" role="alert">
          {reason}
        </p>
      )}
      <form className="key-box" onSubmit={save}>
        <div className="field">
          <label htmlFor={`${id}-input`}>API key or admin key</label>
          <input
            ref={inputRef}
            id={`${id}-input`}
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            placeholder="Paste the key here"
            data-testid="owner-key-input"
          />
        </div>
        <button type="submit" className="btn btn-primary" disabled={!draft.trim()} data-testid="owner-key-save">
          Save key
        </button>
        {key && (
          <button type="button" className="btn" onClick={() => (setEditing(false), setReason(null))}>
            Keep the current key
          </button>
        )}
      </form>
    </details>
  )
}
