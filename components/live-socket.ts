'use client'
/**
 * One Socket.IO connection to the `/live` namespace per page, authenticated with the saved key
 * or the wallet session's cookie (sent with the handshake). Reconnects when either changes; feature hooks (job, network) attach their own listeners and
 * re-subscribe on every `connect`, so a coordinator restart is invisible apart from the badge.
 */
import { useEffect, useState } from 'react'
import { io, type Socket } from 'socket.io-client'
import { LIVE_NAMESPACE, type LiveClientToServer, type LiveServerToClient } from '@/lib/protocol'
import { useSessionEpoch } from './accounts/session-store'
import { readOwnerKey, requestOwnerKey, useOwnerKey } from './owner-key-store'

export type LiveSocket = Socket<LiveServerToClient, LiveClientToServer>
export type LiveState = 'connecting' | 'connected' | 'reconnecting' | 'offline'

type ConnectError = Error & { data?: { code?: string; message?: string } }

function isAuthError(err: ConnectError): boolean {
  const code = err.data?.code
  return code === 'unauthorized' || code === 'forbidden' || /unauthori[sz]ed|owner key|forbidden/i.test(err.message)
}

export function useLiveSocket(): { socket: LiveSocket | null; state: LiveState; error: string | null } {
  const key = useOwnerKey()
  // Signing in or out changes the cookie the handshake carries: connect again.
  const epoch = useSessionEpoch()
  const [socket, setSocket] = useState<LiveSocket | null>(null)
  const [state, setState] = useState<LiveState>('connecting')
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    // Read storage directly: during hydration `key` is still the server snapshot (null).
    const current = readOwnerKey()
    const s: LiveSocket = io(LIVE_NAMESPACE, {
      transports: ['websocket'],
      // Own manager: sockets of other features (the donation's /devices) open and close on their own schedule.
      forceNew: true,
      auth: current ? { key: current } : {},
      autoConnect: false,
    })
    setState('connecting')
    setError(null)
    s.on('connect', () => {
      setState('connected')
      setError(null)
    })
    s.on('disconnect', () => setState(s.active ? 'reconnecting' : 'offline'))
    s.on('connect_error', (err: ConnectError) => {
      if (isAuthError(err)) {
        setState('offline')
        setError(err.data?.message ?? 'The coordinator refused the owner key.')
        requestOwnerKey(current ? 'The coordinator refused the saved key. Paste the right one, or sign in with your wallet.' : 'Sign in with your wallet (or paste an API key) for live updates.')
      } else {
        setState(s.active ? 'reconnecting' : 'offline')
        setError(s.active ? null : err.message)
      }
    })
    setSocket(s)
    // Connect on the next tick: hydration (and strict mode) can re-run this effect at once,
    // and a socket closed before it opens only makes noise.
    const timer = setTimeout(() => s.connect(), 0)
    return () => {
      clearTimeout(timer)
      s.removeAllListeners()
      s.disconnect()
      setSocket(null)
    }
  }, [key, epoch])

  return { socket, state, error }
}

/** The label to show for a live connection state. */
export function liveStateLabel(state: LiveState): string {
  switch (state) {
    case 'connected':
      return 'Live'
    case 'connecting':
      return 'Connecting…'
    case 'reconnecting':
      return 'Reconnecting…'
    case 'offline':
      return 'Offline'
  }
}
