/** The wagmi config for the chain this coordinator settles on (read from GET /api/chain/status at runtime). */
import { defineChain } from 'viem'
import { createConfig, http, injected } from 'wagmi'
import { walletConnect } from 'wagmi/connectors/walletConnect'
import { ChainStatusView, type ChainInfoView } from '@/lib/protocol'

/** The chain rewards settle on, or null when rewards are off (asked so that "off" is no failed request). */
export async function fetchChainInfo(): Promise<ChainInfoView | null> {
  const res = await fetch('/api/chain/status', { cache: 'no-store' })
  if (!res.ok) throw new Error(`the coordinator did not say whether it pays rewards (HTTP ${res.status})`)
  const status = ChainStatusView.parse(await res.json())
  return status.rewards === 'on' ? status.chain : null
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
