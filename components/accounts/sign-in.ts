/**
 * Sign-In with Ethereum for job owners, straight over the injected wallet (EIP-1193):
 * a nonce from the coordinator, a message for this host, personal_sign, and the coordinator
 * answers with an HttpOnly session cookie (the page never sees the session token).
 */
import { stringToHex } from 'viem'
import { createSiweMessage } from 'viem/siwe'
import { refreshSession } from './session-store'

type Eip1193 = { request(args: { method: string; params?: unknown[] }): Promise<unknown> }

export function injectedWallet(): Eip1193 | null {
  if (typeof window === 'undefined') return null
  return ((window as unknown as { ethereum?: Eip1193 }).ethereum ?? null)
}

async function post(path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(path, { method: 'POST', headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  const data = (await res.json().catch(() => ({}))) as { error?: { message?: string } }
  if (!res.ok) throw new Error(data.error?.message ?? `HTTP ${res.status}`)
  return data
}

export async function signInWithWallet(): Promise<void> {
  const wallet = injectedWallet()
  if (!wallet) throw new Error('No wallet found in this browser: install one (for example MetaMask), or use an API key.')
  const [address] = (await wallet.request({ method: 'eth_requestAccounts' })) as `0x${string}`[]
  if (!address) throw new Error('The wallet shared no account.')
  const chainId = Number.parseInt(String(await wallet.request({ method: 'eth_chainId' })), 16) || 1
  const { nonce } = (await post('/api/auth/nonce')) as { nonce: string }
  const message = createSiweMessage({
    domain: window.location.host,
    address,
    uri: window.location.origin,
    version: '1',
    chainId,
    nonce,
    statement: 'Sign in to Nimble as a job owner.',
    issuedAt: new Date(),
    expirationTime: new Date(Date.now() + 10 * 60_000),
  })
  // Hex-encoded UTF-8, as EIP-1193 wallets (and viem's signMessage) expect for personal_sign.
  const signature = await wallet.request({ method: 'personal_sign', params: [stringToHex(message), address] })
  await post('/api/auth/signin', { message, signature })
  await refreshSession()
}

export async function signOut(): Promise<void> {
  await post('/api/auth/signout')
  await refreshSession()
}
