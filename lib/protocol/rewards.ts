/**
 * Rewards on chain: what the coordinator tells browsers about the chain, an address's
 * rewards with its proof, settlement results, and Sign-In with Ethereum wallet linking.
 * Token amounts are decimal strings in base units (18 decimals): JSON numbers lose precision.
 */
import { z } from 'zod'

export const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address')
const Hex32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be a 0x-prefixed 32-byte hex value')
/** Base units as a decimal string. */
export const Amount = z.string().regex(/^\d+$/, 'must be a non-negative integer in base units, as a decimal string')

export const ChainInfoView = z.object({
  chainId: z.number().int().positive(),
  /** The JSON-RPC endpoint wallets should use for this chain. */
  rpcUrl: z.string(),
  token: Address,
  distributor: Address,
  /** Set when the operator configured WalletConnect. */
  walletConnectProjectId: z.string().optional(),
})
export type ChainInfoView = z.infer<typeof ChainInfoView>

/** Whether this coordinator pays rewards, and on which chain: always a 200, so pages can ask without a failed request. */
export const ChainStatusView = z.discriminatedUnion('rewards', [
  z.object({ rewards: z.literal('on'), chain: ChainInfoView }),
  z.object({ rewards: z.literal('off'), message: z.string() }),
])
export type ChainStatusView = z.infer<typeof ChainStatusView>

export const RewardsView = z.object({
  address: Address,
  /** Everything this address has earned so far (verified credit × rate), settled or not. */
  earned: Amount,
  /** The cumulative amount in the latest published root (what `claim` proves). */
  cumulativeAmount: Amount,
  /** Already paid out by the distributor. */
  claimed: Amount,
  /** cumulativeAmount − claimed (never negative). */
  claimable: Amount,
  /** The latest published epoch and its root (null before the first settlement). */
  epoch: z.number().int().nonnegative().nullable(),
  root: Hex32.nullable(),
  /** The Merkle proof of (address, cumulativeAmount) under `root`; empty when the address has no leaf. */
  proof: z.array(Hex32),
})
export type RewardsView = z.infer<typeof RewardsView>

export const SettleResult = z.object({
  /** settled: a new root was published; unchanged: the balances are already published; nothing: no linked address has earned anything. */
  status: z.enum(['settled', 'unchanged', 'nothing']),
  epoch: z.number().int().nonnegative().nullable(),
  root: Hex32.nullable(),
  txHash: Hex32.nullable(),
  addresses: z.number().int().nonnegative(),
  /** Σ cumulative amounts in the root. */
  total: Amount,
})
export type SettleResult = z.infer<typeof SettleResult>

export const SiweNonceView = z.object({ nonce: z.string().regex(/^[A-Za-z0-9]{8,96}$/) })
export type SiweNonceView = z.infer<typeof SiweNonceView>

export const DeviceIdList = z.array(z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'device ids are 8-64 letters, digits, _ or -')).min(1).max(16)

export const LinkWalletBody = z.object({
  /** An EIP-4361 message made with the nonce from POST /api/wallet/nonce, for this site's host and chain. */
  message: z.string().min(1).max(4000),
  signature: z.string().regex(/^0x[0-9a-fA-F]+$/, 'must be a 0x-prefixed hex signature').max(2000),
  /** This browser's device ids, bound to the signing address. */
  deviceIds: DeviceIdList,
})
export type LinkWalletBody = z.infer<typeof LinkWalletBody>

export const LinkWalletResult = z.object({ address: Address, deviceIds: DeviceIdList })
export type LinkWalletResult = z.infer<typeof LinkWalletResult>
