/** The rewards operations the REST routes call, bound to the running chain (or refusing clearly when rewards are off). */
import type { Address } from 'viem'
import { NimbleError, type ChainInfoView, type ChainStatusView, type LinkWalletBody, type LinkWalletResult, type RewardsView, type SettleResult } from '../../lib/protocol'
import type { Ctx } from '../context'
import { issueNonce, linkWallet } from './link'
import { rewardsView } from './rewards'
import type { ChainService } from './service'
import { Settlement } from './settlement'

export type RewardsApi = {
  chainInfo(): ChainInfoView
  /** On or off, never an error: what the contribute and rewards pages ask first. */
  chainStatus(): ChainStatusView
  rewards(address: Address): Promise<RewardsView>
  settle(): Promise<SettleResult>
  walletNonce(): Promise<{ nonce: string }>
  linkWallet(body: LinkWalletBody, host: string): Promise<LinkWalletResult>
  close(): Promise<void>
}

export function rewardsApi(ctx: Ctx, chain: ChainService | null): RewardsApi {
  if (!chain) {
    const message = 'rewards are off on this coordinator (NIMBLE_CHAIN=off)'
    const refuse = (): never => {
      throw new NimbleError({ code: 'not_found', message })
    }
    const off = async (): Promise<never> => refuse()
    // chainInfo is synchronous: it must throw, not return a rejected promise nobody awaits
    // (that rejection went unhandled and stopped the process on every GET /api/chain).
    return { chainInfo: refuse, chainStatus: () => ({ rewards: 'off', message }), rewards: off, settle: off, walletNonce: off, linkWallet: off, close: async () => {} }
  }
  const settlement = new Settlement(ctx, chain)
  settlement.start(ctx.config.NIMBLE_EPOCH_SECONDS)
  const chainInfo = (): ChainInfoView => ({ ...chain.info, ...(ctx.config.WALLETCONNECT_PROJECT_ID ? { walletConnectProjectId: ctx.config.WALLETCONNECT_PROJECT_ID } : {}) })
  return {
    chainInfo,
    chainStatus: () => ({ rewards: 'on', chain: chainInfo() }),
    rewards: (address) => rewardsView(ctx, chain, settlement, address),
    settle: () => settlement.settle(),
    walletNonce: () => issueNonce(ctx),
    linkWallet: (body, host) => linkWallet(ctx, chain, body, host),
    async close() {
      settlement.stop()
      await chain.stop()
    },
  }
}
