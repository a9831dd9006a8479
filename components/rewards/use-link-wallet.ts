/** Sign-In with Ethereum: nonce from the coordinator, the wallet signs, the coordinator binds this browser's device to the address. */
import { useMutation } from '@tanstack/react-query'
import { createSiweMessage } from 'viem/siwe'
import { useSignMessage } from 'wagmi'
import { LinkWalletResult, SiweNonceView } from '@/lib/protocol'
import { ensureDeviceId } from '../contribute/device-hello'

async function post(url: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
  const json = await res.json()
  if (!res.ok) throw new Error(json?.error?.message ?? `HTTP ${res.status}`)
  return json
}

export function useLinkWallet(address: `0x${string}` | undefined, chainId: number) {
  const { mutateAsync: signMessage } = useSignMessage()
  return useMutation({
    mutationFn: async () => {
      if (!address) throw new Error('connect a wallet first')
      const { nonce } = SiweNonceView.parse(await post('/api/wallet/nonce'))
      const message = createSiweMessage({
        domain: window.location.host,
        address,
        statement: 'Link this browser to my address so Nimble pays my rewards here.',
        uri: window.location.origin,
        version: '1',
        chainId,
        nonce,
      })
      const signature = await signMessage({ message, account: address })
      return LinkWalletResult.parse(await post('/api/wallet/link', { message, signature, deviceIds: [ensureDeviceId()] }))
    },
  })
}
