/** Wallet and chain errors as sentences a contributor can act on. */
import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError } from 'viem'

export function walletMessage(e: unknown, action: string): string {
  if (e instanceof BaseError) {
    if (e.walk((x) => x instanceof UserRejectedRequestError) || /rejected|denied/i.test(e.shortMessage)) return `You rejected the ${action} in your wallet; nothing was changed.`
    const revert = e.walk((x) => x instanceof ContractFunctionRevertedError)
    if (revert instanceof ContractFunctionRevertedError) {
      const name = revert.data?.errorName
      if (name === 'NothingToClaim') return 'Nothing to claim: everything published for this address is already paid.'
      if (name === 'StaleRoot') return 'A newer settlement was just published; reload and claim again.'
      return `The ${action} was refused by the contract (${name ?? revert.reason ?? 'reverted'}).`
    }
    return `The ${action} failed: ${e.shortMessage}`
  }
  if (typeof e === 'object' && e && (e as { code?: number }).code === 4001) return `You rejected the ${action} in your wallet; nothing was changed.`
  return `The ${action} failed: ${e instanceof Error ? e.message : String(e)}`
}
