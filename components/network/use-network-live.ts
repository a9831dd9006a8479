'use client'

import { useEffect, useState } from 'react'
import { NetworkView } from '@/lib/protocol'
import { useLiveSocket } from '../live-socket'

/** The network view over /live: `network:subscribe` on every connect, then `network:update` pushes. */
export function useNetworkLive() {
  const { socket, state, error: socketError } = useLiveSocket()
  const [network, setNetwork] = useState<NetworkView | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    if (!socket) return
    const subscribe = () => {
      socket.timeout(10_000).emit('network:subscribe', (err, res) => {
        if (err) return setError('The coordinator did not answer the subscription. It will retry on reconnect.')
        if (!res.ok) return setError(res.error.message)
        const parsed = NetworkView.safeParse(res.network)
        if (parsed.success) {
          setNetwork(parsed.data)
          setError(null)
        } else console.error('network:subscribe: unexpected shape', parsed.error)
      })
    }
    const onUpdate = (n: unknown) => {
      const parsed = NetworkView.safeParse(n)
      if (parsed.success) setNetwork(parsed.data)
      else console.error('network:update: unexpected shape', parsed.error)
    }
    socket.on('connect', subscribe)
    socket.on('network:update', onUpdate)
    if (socket.connected) subscribe()
    return () => {
      socket.off('connect', subscribe)
      socket.off('network:update', onUpdate)
    }
  }, [socket])

  return { network, state, error: error ?? socketError }
}
