'use client'

import { useCallback, useEffect, useState } from 'react'
import { api } from '../api-client'
import { readOwnerKey, useOwnerKey } from '../owner-key-store'
import { signInWithWallet, signOut } from './sign-in'

/** GET without the 401 prompt: being signed out is a normal state here. */
async function quietGet<T>(path: string): Promise<T | null> {
  const key = readOwnerKey()
  const res = await fetch(path, { headers: key ? { authorization: `Bearer ${key}` } : {} })
  return res.ok ? ((await res.json()) as T) : null
}

type Me = { ownerId: string; address: string | null; admin: boolean; via: string }
type Key = { id: string; name: string; prefix: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null }

/**
 * The owner's account: sign in with a wallet (session cookie), and API keys for scripts and
 * the CLI (each key shown once, at creation; revocable). An operator's admin key still works.
 */
export function AccountPanel() {
  const ownerKey = useOwnerKey()
  const [me, setMe] = useState<Me | null>(null)
  const [keys, setKeys] = useState<Key[]>([])
  const [fresh, setFresh] = useState<string | null>(null)
  const [name, setName] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const load = useCallback(async () => {
    const who = await quietGet<Me>('/api/auth/me').catch(() => null)
    setMe(who)
    setKeys(who ? ((await quietGet<{ keys: Key[] }>('/api/keys').catch(() => null))?.keys ?? []) : [])
  }, [])
  useEffect(() => void load(), [load, ownerKey])

  async function act(fn: () => Promise<unknown>) {
    setBusy(true)
    setError(null)
    try {
      await fn()
      await load()
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card stack" aria-label="Account">
      <h2>Account</h2>
      {me ? (
        <p className="row">
          <span>
            Signed in as <strong>{me.admin ? 'operator (admin key)' : (me.address ?? me.ownerId)}</strong>
          </span>
          {me.via === 'session' && (
            <button type="button" className="btn" disabled={busy} onClick={() => act(signOut)}>
              Sign out
            </button>
          )}
        </p>
      ) : (
        <p className="row">
          <span className="muted">Sign in with your wallet to submit and see your own jobs.</span>
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => act(signInWithWallet)}>
            Sign in with wallet
          </button>
        </p>
      )}
      {error && (
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      )}
      {me && !me.admin && (
        <div className="stack">
          <h3>API keys</h3>
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
        </div>
      )}
    </section>
  )
}
