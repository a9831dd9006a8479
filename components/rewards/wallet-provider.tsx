'use client'

import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { useEffect, useState, type ReactNode } from 'react'
import { WagmiProvider } from 'wagmi'
import type { ChainInfoView } from '@/lib/protocol'
import { fetchChainInfo, wagmiConfigFor } from './chain-config'

type Loaded = { info: ChainInfoView; config: ReturnType<typeof wagmiConfigFor> } | { off: true } | { error: string }

/** Loads the chain from the coordinator, then gives its children wagmi and react-query. */
export function WalletProvider({ children }: { children: (info: ChainInfoView) => ReactNode }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null)
  const [queryClient] = useState(() => new QueryClient())
  useEffect(() => {
    fetchChainInfo()
      .then((info) => setLoaded(info ? { info, config: wagmiConfigFor(info) } : { off: true }))
      .catch((e: unknown) => setLoaded({ error: e instanceof Error ? e.message : String(e) }))
  }, [])
  if (!loaded) return <p className="muted">Loading the rewards chain…</p>
  if ('off' in loaded) return <p className="muted" data-testid="rewards-off">Rewards are off on this coordinator.</p>
  if ('error' in loaded) return <p className="notice notice-error" role="alert">{loaded.error}</p>
  return (
    <WagmiProvider config={loaded.config}>
      <QueryClientProvider client={queryClient}>{children(loaded.info)}</QueryClientProvider>
    </WagmiProvider>
  )
}
