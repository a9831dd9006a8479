'use client'

import { useCallback, useEffect, useState } from 'react'
import { api } from '../api-client'
import { useSession } from './session-store'
import { signInWithWallet, signOut } from './sign-in'

type Key = { id: string; name: string; prefix: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null }

/**
 * The owner's account, and a newcomer's first step: sign in with a wallet (Sign-In with
 * Ethereum; a session cookie, nothing to copy). Signed in, API keys for scripts and the CLI
 * (each shown once, at creation; revocable). The operator's admin key still works (pasted below).
 */
export function AccountPanel({ step }: { step?: number }) {
  const session = useSession()
  const me = session.state === 'signed-in' ? session.me : null
  const [keys, setKeys] = useState<Key[]>([])
  const [fresh, setFresh] = useState<string | null>(null)
  const [name, setName] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const canHaveKeys = me !== null && !me.admin

  const loadKeys = useCallback(async () => {
    setKeys(canHaveKeys ? ((await api<{ keys: Key[] }>('/api/keys').catch(() => null))?.keys ?? []) : [])
  }, [canHaveKeys])
  useEffect(() => void loadKeys(), [loadKeys])

  async function act(fn: () => Promise<unknown>) {
    setBusy(true)
    setError(null)
    try {
      await fn()
      await loadKeys()
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card stack" aria-labelledby="account-title">
      <h2 id="account-title">{step ? `${step}. ` : ''}{me ? 'Account' : 'Sign in'}</h2>
      {session.state === 'loading' ? (
        <p className="muted">Checking whether you are signed in…</p>
      ) : me ? (
        <p className="row">
          <span data-testid="signed-in-as">
            Signed in as <strong>{me.admin ? 'operator (admin key)' : (me.address ?? me.ownerId)}</strong>
            {me.via === 'key' && <span className="muted"> (API key)</span>}
          </span>
          {me.via === 'session' && (
            <button type="button" className="btn" disabled={busy} onClick={() => act(signOut)} data-testid="sign-out">
              Sign out
            </button>
          )}
        </p>
      ) : (
        <div className="stack">
          <p>
            Your wallet is your account: sign a message (no transaction, nothing to pay) and you can upload data, train models and see
            your own jobs.
          </p>
          <p className="row">
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => act(signInWithWallet)} data-testid="sign-in-wallet">
              {busy ? 'Waiting for the wallet…' : 'Sign in with your wallet'}
            </button>
          </p>
        </div>
      )}
      {error && (
        <p className="notice notice-error" role="alert" data-testid="sign-in-error">
          {error}
        </p>
      )}
      {canHaveKeys && (
        <details className="stack">
          <summary>API keys for scripts and the command line</summary>
          {fresh && (
            <p className="notice" role="status">
              New key (shown once; copy it now): <code>{fresh}</code>
            </p>
          )}
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault()
              void act(async () => setFresh((await api<{ key: string }>('/api/keys', { body: { name: name.trim() || 'API key' } })).key))
            }}
          >
            <label>
              Name <input value={name} onChange={(e) => setName(e.target.value)} maxLength={80} />
            </label>
            <button type="submit" className="btn" disabled={busy}>
              Create API key
            </button>
          </form>
          <ul>
            {keys.map((k) => (
              <li key={k.id} className="row">
                <span>
                  {k.name} <code>{k.prefix}…</code> {k.revokedAt ? <span className="muted">revoked</span> : null}
                </span>
                {!k.revokedAt && (
                  <button type="button" className="btn btn-danger" disabled={busy} onClick={() => act(() => api(`/api/keys/${k.id}`, { method: 'DELETE' }))}>
                    Revoke
                  </button>
                )}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  )
}
