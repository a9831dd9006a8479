'use client'

import { useEffect, useState } from 'react'
import { useConnect, useConnection, useConnectors, useDisconnect, useReadContract, useSwitchChain, useWatchAsset } from 'wagmi'
import { formatTokens } from '@/lib/chain/amounts'
import { nimbleTokenAbi } from '@/lib/chain/artifacts'
import type { ChainInfoView } from '@/lib/protocol'
import { useClaim } from './use-claim'
import { useLinkWallet } from './use-link-wallet'
import { useRewards } from './use-rewards'
import { walletMessage } from './wallet-errors'

function Amount({ units, testId }: { units: string | bigint | undefined; testId: string }) {
  const v = units === undefined ? undefined : BigInt(units)
  return (
    <strong data-testid={testId} data-units={v?.toString() ?? ''} title={v === undefined ? '' : `${v} base units`}>
      {v === undefined ? '—' : `${formatTokens(v)} NMBL`}
    </strong>
  )
}

/** Connect a wallet, link this browser to it (SIWE), see and claim rewards. */
export function WalletPanel({ info }: { info: ChainInfoView }) {
  const { address, chainId, status } = useConnection()
  const connectors = useConnectors()
  const connect = useConnect()
  const { mutate: disconnect } = useDisconnect()
  const switchChain = useSwitchChain()
  const link = useLinkWallet(address, info.chainId)
  const rewards = useRewards(address)
  const { claim, write, receipt } = useClaim(info)
  const watchAsset = useWatchAsset()
  const balance = useReadContract({ address: info.token as `0x${string}`, abi: nimbleTokenAbi, functionName: 'balanceOf', args: address ? [address] : undefined, chainId: info.chainId, query: { enabled: !!address } })
  const [note, setNote] = useState<string | null>(null)
  const wrongNetwork = status === 'connected' && chainId !== info.chainId

  useEffect(() => {
    if (receipt.isSuccess) {
      void balance.refetch()
      void rewards.refetch()
    }
    // Refetch once per mined receipt.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [receipt.isSuccess, receipt.data?.transactionHash])

  if (status !== 'connected' || !address) {
    return (
      <div className="stack" data-testid="wallet-panel">
        <p className="muted">Connect a wallet to be paid in NMBL for the work this browser does.</p>
        <div className="row">
          {connectors.map((c) => (
            <button key={c.uid} type="button" className="btn" data-testid={`connect-${c.id}`} onClick={() => connect.mutate({ connector: c })} disabled={connect.isPending}>
              Connect {c.name}
            </button>
          ))}
          {!connectors.length && <p className="muted">No wallet found in this browser. Install one (any EIP-1193 or EIP-6963 wallet) and reload.</p>}
        </div>
        {connect.error && <p className="notice notice-error" role="alert">{walletMessage(connect.error, 'connection')}</p>}
      </div>
    )
  }

  const r = rewards.data
  const onClaim = () => {
    setNote(null)
    if (!r || BigInt(r.claimable) === 0n) return setNote(r && BigInt(r.earned) > 0n && r.claimable === '0' && BigInt(r.cumulativeAmount) < BigInt(r.earned) ? 'Nothing to claim yet: your latest work is paid at the next settlement.' : 'Nothing to claim: everything published for this address is already paid.')
    claim(r)
  }
  const txState = write.isPending ? 'Confirm the claim in your wallet…' : receipt.isLoading ? 'Claim sent; waiting for it to be mined…' : receipt.isSuccess ? `Claimed: mined in block ${receipt.data.blockNumber}.` : null

  return (
    <div className="stack" data-testid="wallet-panel">
      <p>
        Connected <code data-testid="wallet-address">{address}</code>{' '}
        <button type="button" className="btn" onClick={() => disconnect()}>
          Disconnect
        </button>
      </p>
      {wrongNetwork ? (
        <div className="notice notice-error" role="alert" data-testid="wrong-network">
          Your wallet is on chain {chainId}; Nimble pays on chain {info.chainId}.{' '}
          <button type="button" className="btn" data-testid="switch-network" onClick={() => switchChain.mutate({ chainId: info.chainId })}>
            Switch network
          </button>
          {switchChain.error && <span> {walletMessage(switchChain.error, 'network switch')}</span>}
        </div>
      ) : (
        <>
          <div className="row">
            <button type="button" className="btn" data-testid="link-wallet" onClick={() => link.mutate()} disabled={link.isPending}>
              {link.isPending ? 'Waiting for your signature…' : 'Sign in to link this device'}
            </button>
            {link.isSuccess && <span data-testid="linked">Linked device {link.data.deviceIds.join(', ')} to this address.</span>}
          </div>
          {link.error && <p className="notice notice-error" role="alert" data-testid="link-error">{walletMessage(link.error, 'signature request')}</p>}
          <dl className="reward-facts">
            <div><dt>Earned</dt><dd><Amount units={r?.earned} testId="rewards-earned" /></dd></div>
            <div><dt>Claimable</dt><dd><Amount units={r?.claimable} testId="rewards-claimable" /></dd></div>
            <div><dt>Claimed</dt><dd><Amount units={r?.claimed} testId="rewards-claimed" /></dd></div>
            <div><dt>Wallet balance</dt><dd><Amount units={balance.data} testId="token-balance" /></dd></div>
          </dl>
          {rewards.error && <p className="notice notice-error" role="alert">{rewards.error.message}</p>}
          <div className="row">
            <button type="button" className="btn btn-primary" data-testid="claim" onClick={onClaim} disabled={write.isPending || receipt.isLoading}>
              Claim
            </button>
            <button type="button" className="btn" data-testid="add-token" onClick={() => watchAsset.mutate({ type: 'ERC20', options: { address: info.token as `0x${string}`, symbol: 'NMBL', decimals: 18 } })}>
              Add NMBL to wallet
            </button>
          </div>
          {txState && <p role="status" data-testid="claim-state">{txState}</p>}
          {write.error && <p className="notice notice-error" role="alert" data-testid="claim-error">{walletMessage(write.error, 'claim')}</p>}
          {note && <p className="notice" role="status" data-testid="claim-note">{note}</p>}
          {watchAsset.isSuccess && <p className="muted small" data-testid="token-added">NMBL added to your wallet.</p>}
        </>
      )}
    </div>
  )
}
