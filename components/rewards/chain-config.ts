/** The wagmi config for the chain this coordinator settles on (read from GET /api/chain at runtime). */
import { defineChain } from 'viem'
import { createConfig, http, injected } from 'wagmi'
import { walletConnect } from 'wagmi/connectors/walletConnect'
import { ChainInfoView } from '@/lib/protocol'

export async function fetchChainInfo(): Promise<ChainInfoView | null> {
  const res = await fetch('/api/chain', { cache: 'no-store' })
  if (res.status === 404) return null
  if (!res.ok) throw new Error(`the coordinator did not say which chain it pays on (HTTP ${res.status})`)
  return ChainInfoView.parse(await res.json())
}

export function wagmiConfigFor(info: ChainInfoView) {
  const chain = defineChain({
    id: info.chainId,
    name: info.chainId === 31337 ? 'Nimble local chain' : `Chain ${info.chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [info.rpcUrl] } },
  })
  // injected() is window.ethereum; EIP-6963 discovery adds every extension that announces itself;
  // WalletConnect (QR code to a phone wallet) when the operator set a project id. Its provider
  // package is an optional install: without it, choosing WalletConnect says it is unavailable.
  const connectors = info.walletConnectProjectId ? [injected(), walletConnect({ projectId: info.walletConnectProjectId, showQrModal: true })] : [injected()]
  return createConfig({ chains: [chain], connectors, multiInjectedProviderDiscovery: true, transports: { [chain.id]: http(info.rpcUrl) }, ssr: true })
}
