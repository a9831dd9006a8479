'use client'

import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { onOwnerKeyRequested, useOwnerKey, writeOwnerKey } from './owner-key-store'

/**
 * Where the job owner pastes the key the coordinator printed on first start.
 * Collapsed once a key is saved; reopens itself when a call comes back 401.
 */
export function OwnerKey() {
  const key = useOwnerKey()
  const [editing, setEditing] = useState(false)
  const [draft, setDraft] = useState('')
  const [reason, setReason] = useState<string | null>(null)
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
      <section className="card row" aria-label="Owner key">
        <span>
          Owner key saved in this browser <span className="muted">(…{key.slice(-4)})</span>
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
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Owner key</h2>
      <p className="muted small">
        The coordinator prints the owner key when it first starts (it is also kept in its data directory). It stays in
        this browser only.
      </p>
      {reason && (
        <p className="notice notice-error" role="alert">
          {reason}
        </p>
      )}
      <form className="key-box" onSubmit={save}>
        <div className="field">
          <label htmlFor={`${id}-input`}>Owner key</label>
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
    </section>
  )
}
