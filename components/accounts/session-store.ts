'use client'
/**
 * Who this browser is signed in as, from GET /api/auth/session: a wallet sign-in (session
 * cookie) or a pasted API / admin key. One store for the page; it reloads when the key
 * changes and after sign-in or sign-out (`refreshSession`). `useSessionEpoch` changes when the
 * identity does, so the live socket reconnects with the new credentials.
 */
import { useEffect, useSyncExternalStore } from 'react'
import { SessionView, type WhoAmI } from '@/lib/protocol'
import { onOwnerKeyRequested, readOwnerKey, useOwnerKey } from '../owner-key-store'

export type Session = { state: 'loading' } | { state: 'signed-out'; reason?: string } | { state: 'signed-in'; me: WhoAmI }

const LOADING: Session = { state: 'loading' }
let current: Session = LOADING
let epoch = 0
/** The owner key the current state was loaded with (undefined: never loaded). */
let loadedFor: string | null | undefined
let inflight: Promise<void> | null = null
const listeners = new Set<() => void>()

const identity = (s: Session) => (s.state === 'signed-in' ? `${s.me.via}:${s.me.ownerId}` : s.state)

function set(next: Session): void {
  // Loading → known is the first answer, not a change: the socket opened with the same credentials.
  if (current.state !== 'loading' && identity(next) !== identity(current)) epoch++
  current = next
  for (const fn of listeners) fn()
}

/** Ask the coordinator again (after sign-in, sign-out, or a refused request). */
export function refreshSession(): Promise<void> {
  const key = readOwnerKey()
  const run = (async () => {
    try {
      const res = await fetch('/api/auth/session', { headers: key ? { authorization: `Bearer ${key}` } : {}, cache: 'no-store' })
      const view = SessionView.parse(await res.json())
      loadedFor = key
      set(view.signedIn ? { state: 'signed-in', me: view.me } : { state: 'signed-out', ...(key && view.reason ? { reason: view.reason } : {}) })
    } catch {
      set({ state: 'signed-out', reason: 'Could not reach the Nimble coordinator. Check that it is running, then reload.' })
    }
  })()
  inflight = run.finally(() => {
    if (inflight === run) inflight = null
  })
  return run
}

// A request came back 401 (an expired session, a revoked key): look again, so the page offers sign-in.
if (typeof window !== 'undefined') onOwnerKeyRequested(() => void refreshSession())

function subscribe(fn: () => void): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

/** The session, loaded once per page (and again when the key changes). */
export function useSession(): Session {
  const key = useOwnerKey()
  useEffect(() => {
    const stale = () => loadedFor !== readOwnerKey()
    if (inflight) void inflight.then(() => (stale() ? refreshSession() : undefined))
    else if (stale()) void refreshSession()
  }, [key])
  return useSyncExternalStore(subscribe, () => current, () => LOADING)
}

/** Changes whenever the signed-in identity changes. */
export function useSessionEpoch(): number {
  return useSyncExternalStore(subscribe, () => epoch, () => 0)
}
