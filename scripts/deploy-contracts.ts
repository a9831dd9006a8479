// `npm run deploy-contracts`: deploy the reward token and distributor to CHAIN_RPC_URL with
// OPERATOR_PRIVATE_KEY (the operator becomes the distributor's owner and funds it), and keep
// the addresses in <NIMBLE_DATA_DIR>/chain/deployment-<CHAIN_ID>.json for `npm start`.
import { ConfigError, loadConfig } from '../server/config'
import { deployContracts } from '../server/chain/deploy'
import { clients, deploymentFile, readDeployment, writeDeployment } from '../server/chain/service'

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, NIMBLE_CHAIN: 'external' })
  const chainId = config.CHAIN_ID!
  const { pub, wallet } = clients(config.CHAIN_RPC_URL!, chainId, config.OPERATOR_PRIVATE_KEY as `0x${string}`)
  const actual = await pub.getChainId()
  if (actual !== chainId) throw new ConfigError(`CHAIN_ID is ${chainId} but CHAIN_RPC_URL is chain ${actual}`)
  const file = deploymentFile(config.dataDir, chainId, 'external')
  const existing = readDeployment(file)
  if (existing && !process.argv.includes('--force')) {
    console.log(`already deployed on chain ${chainId}: token ${existing.token}, distributor ${existing.distributor} (${file}); pass --force to deploy new ones`)
    return
  }
  console.log(`deploying from ${wallet.account.address} to chain ${chainId}…`)
  const d = await deployContracts(pub, wallet)
  writeDeployment(file, d)
  console.log(`token ${d.token}\ndistributor ${d.distributor} (funded)\nsaved to ${file}`)
}

main().catch((e) => {
  console.error(e instanceof ConfigError ? e.message : `deploy failed: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(1)
})
