/**
 * Deploys the reward token and distributor with the operator key and funds the distributor
 * with the whole token supply. Used on first start of the embedded chain and by
 * `npm run deploy-contracts` for any other chain.
 */
import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from 'viem'
import { nimbleTokenAbi, nimbleTokenBytecode, rewardDistributorAbi, rewardDistributorBytecode } from '../../lib/chain/artifacts'

export type Deployment = { token: Address; distributor: Address; deployBlock: string }
/** One billion tokens: far more than any volunteer fleet earns at 0.0015 per TFLOP. */
export const INITIAL_SUPPLY = 10n ** 9n * 10n ** 18n

type Wallet = WalletClient<Transport, Chain, Account>

export async function deployContracts(pub: PublicClient, wallet: Wallet, supply = INITIAL_SUPPLY): Promise<Deployment> {
  const tokenTx = await wallet.deployContract({ abi: nimbleTokenAbi, bytecode: nimbleTokenBytecode, args: [supply] })
  const tokenRc = await pub.waitForTransactionReceipt({ hash: tokenTx })
  if (tokenRc.status !== 'success' || !tokenRc.contractAddress) throw new Error(`token deployment failed (tx ${tokenTx})`)
  const token = tokenRc.contractAddress
  const distTx = await wallet.deployContract({ abi: rewardDistributorAbi, bytecode: rewardDistributorBytecode, args: [token, wallet.account.address] })
  const distRc = await pub.waitForTransactionReceipt({ hash: distTx })
  if (distRc.status !== 'success' || !distRc.contractAddress) throw new Error(`distributor deployment failed (tx ${distTx})`)
  const distributor = distRc.contractAddress
  const fundTx = await wallet.writeContract({ address: token, abi: nimbleTokenAbi, functionName: 'transfer', args: [distributor, supply] })
  const fundRc = await pub.waitForTransactionReceipt({ hash: fundTx })
  if (fundRc.status !== 'success') throw new Error(`funding the distributor failed (tx ${fundTx})`)
  return { token, distributor, deployBlock: tokenRc.blockNumber.toString() }
}
