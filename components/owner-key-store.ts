/**
 * The owner key lives in localStorage (`nimble.ownerKey`). Components subscribe through
 * `useOwnerKey`; the API client asks for a key (on 401) with `requestOwnerKey`.
 * No imports from lib/: this runs in the page only.
 */
import { useSyncExternalStore } from 'react'

const STORAGE_KEY = 'nimble.ownerKey'
const CHANGED = 'nimble:owner-key-changed'
const NEEDED = 'nimble:owner-key-needed'

export function readOwnerKey(): string | null {
  if (typeof window === 'undefined') return null
  try {
    return window.localStorage.getItem(STORAGE_KEY) || null
  } catch {
    return null
  }
}

export function writeOwnerKey(key: string | null): void {
  try {
    if (key) window.localStorage.setItem(STORAGE_KEY, key)
    else window.localStorage.removeItem(STORAGE_KEY)
  } catch {
    // Private mode or storage disabled: the key just won't survive a reload.
  }
  window.dispatchEvent(new Event(CHANGED))
}

function subscribe(onChange: () => void): () => void {
  const onStorage = (e: StorageEvent) => {
    if (e.key === STORAGE_KEY) onChange()
  }
  window.addEventListener(CHANGED, onChange)
  window.addEventListener('storage', onStorage)
  return () => {
    window.removeEventListener(CHANGED, onChange)
    window.removeEventListener('storage', onStorage)
  }
}

/** The current owner key, or null (always null during server rendering). */
export function useOwnerKey(): string | null {
  return useSyncExternalStore(subscribe, readOwnerKey, () => null)
}

/** Ask whichever owner-key box is on the page to open and explain why. */
export function requestOwnerKey(reason: string): void {
  if (typeof window === 'undefined') return
  window.dispatchEvent(new CustomEvent<string>(NEEDED, { detail: reason }))
}

export function onOwnerKeyRequested(handler: (reason: string) => void): () => void {
  const listener = (e: Event) => handler((e as CustomEvent<string>).detail)
  window.addEventListener(NEEDED, listener)
  return () => window.removeEventListener(NEEDED, listener)
}
