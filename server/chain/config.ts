/**
 * Chain settings (environment). With nothing set, `npm start` runs an embedded anvil; with
 * CHAIN_RPC_URL, CHAIN_ID and OPERATOR_PRIVATE_KEY it settles on that chain instead.
 * The operator key is only ever read here and handed to the settlement wallet: it is never
 * logged (pino redacts `privateKey`) and never sent to a browser.
 */
import { z } from 'zod'

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address')

export const ChainConfigShape = {
  /** embedded: anvil in the data dir; external: CHAIN_RPC_URL; off: no rewards. Default: external when CHAIN_RPC_URL is set, else embedded. */
  NIMBLE_CHAIN: z.enum(['embedded', 'external', 'off']).optional(),
  CHAIN_RPC_URL: z.url().optional(),
  /** What browsers are told to use (defaults to CHAIN_RPC_URL, or the embedded anvil's loopback URL). */
  CHAIN_PUBLIC_RPC_URL: z.url().optional(),
  CHAIN_ID: z.coerce.number().int().positive().optional(),
  OPERATOR_PRIVATE_KEY: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 0x-prefixed 32-byte hex private key').optional(),
  CHAIN_TOKEN_ADDRESS: address.optional(),
  CHAIN_DISTRIBUTOR_ADDRESS: address.optional(),
  /** Embedded anvil's port; 0 picks a free one (and keeps it across restarts while it stays free). */
  NIMBLE_ANVIL_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** A WalletConnect Cloud project id (public): adds WalletConnect to the wallet choices (needs @walletconnect/ethereum-provider installed). */
  WALLETCONNECT_PROJECT_ID: z.string().regex(/^[0-9a-f]{32}$/, 'must be the 32 hex digits of a WalletConnect project id').optional(),
  /** Seconds between automatic settlements; 0 settles only on POST /api/rewards/settle. */
  NIMBLE_EPOCH_SECONDS: z.coerce.number().int().min(0).default(3600),
}

const ChainConfig = z.object(ChainConfigShape)
export type ChainEnv = z.infer<typeof ChainConfig>

export type ChainMode = 'embedded' | 'external' | 'off'

export function chainMode(c: Pick<ChainEnv, 'NIMBLE_CHAIN' | 'CHAIN_RPC_URL'>): ChainMode {
  return c.NIMBLE_CHAIN ?? (c.CHAIN_RPC_URL ? 'external' : 'embedded')
}

/** The first missing or contradictory chain setting, as a config error line; null when fine. */
export function checkChainConfig(c: ChainEnv): string | null {
  if (chainMode(c) !== 'external') return null
  for (const k of ['CHAIN_RPC_URL', 'CHAIN_ID', 'OPERATOR_PRIVATE_KEY'] as const) {
    if (c[k] === undefined) return `${k}: required for an external chain (or unset CHAIN_RPC_URL to use the embedded one)`
  }
  if (Boolean(c.CHAIN_TOKEN_ADDRESS) !== Boolean(c.CHAIN_DISTRIBUTOR_ADDRESS)) return 'CHAIN_TOKEN_ADDRESS and CHAIN_DISTRIBUTOR_ADDRESS: set both or neither'
  return null
}
