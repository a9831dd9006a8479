'use client'

import { useEffect, useState } from 'react'
import { NetworkView } from '@/lib/protocol'
import { api } from '../api-client'
import { NetworkFigures } from './network-figures'

const REFRESH_MS = 15_000

/** Landing-page figures from GET /api/network, refreshed while the tab is visible. */
export function NetworkSummary() {
  const [network, setNetwork] = useState<NetworkView | null>(null)
  const [failed, setFailed] = useState(false)

  useEffect(() => {
    const ctrl = new AbortController()
    const load = () => {
      if (document.visibilityState !== 'visible') return
      api('/api/network', { parse: NetworkView.parse, signal: ctrl.signal })
        .then((n) => {
          setNetwork(n)
          setFailed(false)
        })
        .catch((e: unknown) => {
          if (!ctrl.signal.aborted) setFailed(true)
          if (!(e instanceof DOMException)) console.warn('network figures:', e)
        })
    }
    load()
    const timer = setInterval(load, REFRESH_MS)
    document.addEventListener('visibilitychange', load)
    return () => {
      ctrl.abort()
      clearInterval(timer)
      document.removeEventListener('visibilitychange', load)
    }
  }, [])

  return (
    <section aria-labelledby="network-now" aria-live="polite">
      <h2 id="network-now">The network right now</h2>
      {network ? (
        <NetworkFigures network={network} />
      ) : (
        <p className="muted">{failed ? 'Live figures are unavailable right now.' : 'Loading live figures…'}</p>
      )}
    </section>
  )
}
