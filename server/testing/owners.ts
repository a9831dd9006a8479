/**
 * Test owners: sign in with Ethereum against a running coordinator (a viem local account
 * signs), then create an API key with the session cookie.
 */
import { privateKeyToAccount } from 'viem/accounts'
import { createSiweMessage } from 'viem/siwe'
import { apiClient, type ApiClient } from './harness'

export type TestOwner = { address: string; cookie: string; key: string; keyId: string; api: ApiClient }

export async function signInOwner(url: string, privateKey: `0x${string}`): Promise<{ address: string; cookie: string; setCookie: string }> {
  const account = privateKeyToAccount(privateKey)
  const host = new URL(url).host
  const { nonce } = (await (await fetch(`${url}/api/auth/nonce`, { method: 'POST' })).json()) as { nonce: string }
  const message = createSiweMessage({ domain: host, address: account.address, uri: url, version: '1', chainId: 1, nonce, issuedAt: new Date() })
  const signature = await account.signMessage({ message })
  const res = await fetch(`${url}/api/auth/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message, signature }) })
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`)
  const setCookie = res.headers.get('set-cookie') ?? ''
  return { address: account.address.toLowerCase(), cookie: setCookie.split(';')[0], setCookie }
}

export async function makeOwner(url: string, privateKey: `0x${string}`): Promise<TestOwner> {
  const { address, cookie } = await signInOwner(url, privateKey)
  const res = await fetch(`${url}/api/keys`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'test' }) })
  const body = (await res.json()) as { key: string; id: string }
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${JSON.stringify(body)}`)
  return { address, cookie, key: body.key, keyId: body.id, api: apiClient(url, body.key) }
}
