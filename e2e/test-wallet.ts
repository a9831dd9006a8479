/**
 * An EIP-1193 wallet for Playwright, no extension: `window.ethereum` in the page forwards every
 * request to Node (page.exposeFunction), where a viem local account answers accounts and chain
 * id, signs, sends transactions and forwards reads to the chain's RPC. It starts on a chain the
 * app does not use (to exercise the wrong-network path) and can reject the next signature.
 */
import type { Page } from '@playwright/test'
import { createWalletClient, defineChain, http, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'

export type TestWallet = { address: Hex; rejectNextSignature(): void; requests: string[] }

export async function installTestWallet(page: Page, opts: { privateKey: Hex; rpcUrl: string; chainId: number; startChainId?: number }): Promise<TestWallet> {
  const account = privateKeyToAccount(opts.privateKey)
  const chain = defineChain({ id: opts.chainId, name: 'test', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [opts.rpcUrl] } } })
  const wallet = createWalletClient({ account, chain, transport: http(opts.rpcUrl) })
  let chainId = opts.startChainId ?? opts.chainId
  let reject = false
  const requests: string[] = []
  const rpc = async (method: string, params: unknown[]) => {
    const res = await fetch(opts.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
    const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string } }
    return body.error ? { __error: body.error } : body.result
  }
  await page.exposeFunction('__testWallet', async (method: string, params: unknown[]) => {
    requests.push(method)
    switch (method) {
      case 'eth_requestAccounts':
      case 'eth_accounts':
        return [account.address]
      case 'eth_chainId':
        return `0x${chainId.toString(16)}`
      case 'net_version':
        return String(chainId)
      case 'wallet_switchEthereumChain': {
        const wanted = parseInt((params[0] as { chainId: string }).chainId, 16)
        if (wanted !== opts.chainId) return { __error: { code: 4902, message: `unknown chain ${wanted}` } }
        chainId = wanted
        return null
      }
      case 'wallet_watchAsset':
        return true
      case 'personal_sign': {
        if (reject) {
          reject = false
          return { __error: { code: 4001, message: 'User rejected the request.' } }
        }
        const raw = params[0] as Hex
        return account.signMessage({ message: { raw } })
      }
      case 'eth_sendTransaction': {
        if (chainId !== opts.chainId) return { __error: { code: 4901, message: 'wallet is on another chain' } }
        const tx = params[0] as { to: Hex; data?: Hex; value?: Hex; gas?: Hex }
        return wallet.sendTransaction({ to: tx.to, data: tx.data, value: tx.value ? BigInt(tx.value) : undefined, gas: tx.gas ? BigInt(tx.gas) : undefined })
      }
      default:
        return rpc(method, params)
    }
  })
  await page.addInitScript(() => {
    const listeners = new Map<string, Set<(x: unknown) => void>>()
    const emit = (event: string, value: unknown) => listeners.get(event)?.forEach((fn) => fn(value))
    const call = (window as unknown as { __testWallet: (m: string, p: unknown[]) => Promise<unknown> }).__testWallet
    const provider = {
      isTestWallet: true,
      async request({ method, params }: { method: string; params?: unknown[] }) {
        const out = (await call(method, params ?? [])) as { __error?: { code: number; message: string } } | unknown
        if (out && typeof out === 'object' && '__error' in (out as object)) {
          const e = (out as { __error: { code: number; message: string } }).__error
          throw Object.assign(new Error(e.message), { code: e.code })
        }
        if (method === 'wallet_switchEthereumChain') emit('chainChanged', (params![0] as { chainId: string }).chainId)
        if (method === 'eth_requestAccounts') emit('connect', { chainId: await call('eth_chainId', []) })
        return out
      },
      on(event: string, fn: (x: unknown) => void) {
        if (!listeners.has(event)) listeners.set(event, new Set())
        listeners.get(event)!.add(fn)
        return provider
      },
      removeListener(event: string, fn: (x: unknown) => void) {
        listeners.get(event)?.delete(fn)
        return provider
      },
    }
    ;(window as unknown as { ethereum: unknown }).ethereum = provider
  })
  return { address: account.address, rejectNextSignature: () => (reject = true), requests }
}
