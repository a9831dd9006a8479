/** Test helper: a fresh anvil on a free loopback port, viem clients and funded deterministic accounts. */
import { createPublicClient, createWalletClient, http, keccak256, toHex, type Account, type Chain, type PublicClient, type Transport, type WalletClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { startAnvil, type AnvilProcess } from './anvil'

export type TestChain = {
  anvil: AnvilProcess
  pub: PublicClient
  chain: Chain
  /** A wallet for a deterministic key derived from `label`, funded with 100 ETH for gas. */
  wallet(label: string): Promise<WalletClient<Transport, Chain, Account>>
  keyFor(label: string): `0x${string}`
}

export async function startTestChain(): Promise<TestChain> {
  const anvil = await startAnvil()
  const chain = { ...foundry, rpcUrls: { default: { http: [anvil.url] } } } as Chain
  const pub = createPublicClient({ chain, transport: http(anvil.url) }) as PublicClient
  const keyFor = (label: string) => keccak256(toHex(`nimble-test:${label}`))
  return {
    anvil,
    pub,
    chain,
    keyFor,
    async wallet(label) {
      const account = privateKeyToAccount(keyFor(label))
      await pub.request({ method: 'anvil_setBalance' as never, params: [account.address, toHex(10n ** 20n)] as never })
      return createWalletClient({ account, chain, transport: http(anvil.url) })
    },
  }
}
