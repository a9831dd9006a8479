/**
 * The chain connection the coordinator settles on.
 *
 * Role: start (embedded) or reach (external) an EVM chain, hold the operator wallet, and know
 * the token and distributor addresses.
 * Embedded (default for `npm start`): anvil on loopback with `<dataDir>/chain/state.json`; on first
 * start an operator key is generated into `<dataDir>/chain/operator.key` (mode 0600), given gas
 * with anvil_setBalance, and the contracts are deployed and funded; the addresses are kept in
 * `<dataDir>/chain/deployment.json`. External: CHAIN_RPC_URL + CHAIN_ID + OPERATOR_PRIVATE_KEY,
 * addresses from CHAIN_*_ADDRESS or the file `npm run deploy-contracts` wrote.
 */
import fs from 'node:fs'
import path from 'node:path'
import { createPublicClient, createWalletClient, defineChain, http, toHex, type Account, type Address, type Chain, type PublicClient, type Transport, type WalletClient } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import type { Config } from '../config'
import type { Logger } from '../log'
import { startAnvil, waitPortFree, type AnvilProcess } from './anvil'
import { chainMode } from './config'
import { deployContracts, type Deployment } from './deploy'

export type ChainInfo = { chainId: number; rpcUrl: string; token: Address; distributor: Address }
export type OperatorWallet = WalletClient<Transport, Chain, Account>

export type ChainService = {
  info: ChainInfo
  mode: 'embedded' | 'external'
  pub: PublicClient
  wallet: OperatorWallet
  stop(): Promise<void>
}

const EMBEDDED_CHAIN_ID = 31337

export function chainDir(dataDir: string): string {
  return path.join(dataDir, 'chain')
}

export function deploymentFile(dataDir: string, chainId: number, mode: 'embedded' | 'external'): string {
  return path.join(chainDir(dataDir), mode === 'embedded' ? 'deployment.json' : `deployment-${chainId}.json`)
}

function writeAtomic(file: string, text: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, text, { mode })
  fs.renameSync(tmp, file)
}

export function readDeployment(file: string): Deployment | null {
  if (!fs.existsSync(file)) return null
  const d = JSON.parse(fs.readFileSync(file, 'utf8')) as Deployment
  return /^0x[0-9a-fA-F]{40}$/.test(d.token) && /^0x[0-9a-fA-F]{40}$/.test(d.distributor) ? d : null
}

export function writeDeployment(file: string, d: Deployment): void {
  writeAtomic(file, JSON.stringify(d, null, 2) + '\n')
}

export function clients(rpcUrl: string, chainId: number, privateKey: `0x${string}`): { chain: Chain; pub: PublicClient; wallet: OperatorWallet } {
  const chain = defineChain({ id: chainId, name: chainId === EMBEDDED_CHAIN_ID ? 'Nimble local chain' : `Chain ${chainId}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } })
  const pub = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 250 }) as PublicClient
  const wallet = createWalletClient({ account: privateKeyToAccount(privateKey), chain, transport: http(rpcUrl) })
  return { chain, pub, wallet }
}

async function hasCode(pub: PublicClient, a: Address): Promise<boolean> {
  const code = await pub.getCode({ address: a })
  return !!code && code !== '0x'
}

function operatorKey(dir: string): `0x${string}` {
  const file = path.join(dir, 'operator.key')
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim() as `0x${string}`
  const key = generatePrivateKey()
  writeAtomic(file, key + '\n', 0o600)
  return key
}

/** Remembers the embedded anvil's port so the RPC URL a wallet saved stays valid across restarts. */
function embeddedPort(dir: string, wanted: number): number {
  if (wanted) return wanted
  const file = path.join(dir, 'anvil.json')
  return fs.existsSync(file) ? Number(JSON.parse(fs.readFileSync(file, 'utf8')).port) || 0 : 0
}

async function startEmbedded(config: Config, log: Logger): Promise<ChainService> {
  const dir = chainDir(config.dataDir)
  fs.mkdirSync(dir, { recursive: true })
  const statePath = path.join(dir, 'state.json')
  let anvil: AnvilProcess
  const port = embeddedPort(dir, config.NIMBLE_ANVIL_PORT)
  // After a crash the previous anvil is still dumping its state: let it finish before loading it.
  if (port) await waitPortFree(port, 8000)
  try {
    anvil = await startAnvil({ port, statePath, chainId: EMBEDDED_CHAIN_ID })
  } catch (e) {
    if (!port || config.NIMBLE_ANVIL_PORT) throw e
    log.warn({ port }, 'the embedded chain port is taken; using another (wallets must re-add the network)')
    anvil = await startAnvil({ statePath, chainId: EMBEDDED_CHAIN_ID })
  }
  writeAtomic(path.join(dir, 'anvil.json'), JSON.stringify({ port: anvil.port }) + '\n')
  try {
    const key = operatorKey(dir)
    const { pub, wallet } = clients(anvil.url, EMBEDDED_CHAIN_ID, key)
    // A dev chain: give the operator gas by decree (an anvil method, only on the embedded chain).
    await pub.request({ method: 'anvil_setBalance' as never, params: [wallet.account.address, toHex(10n ** 24n)] as never })
    const file = deploymentFile(config.dataDir, EMBEDDED_CHAIN_ID, 'embedded')
    let d = readDeployment(file)
    if (!d || !(await hasCode(pub, d.distributor))) {
      if (d) log.warn({ distributor: d.distributor }, 'the embedded chain lost its contracts (state file missing?); deploying again')
      d = await deployContracts(pub, wallet)
      writeDeployment(file, d)
      log.info({ token: d.token, distributor: d.distributor }, 'deployed the reward token and distributor on the embedded chain')
    }
    const info: ChainInfo = { chainId: EMBEDDED_CHAIN_ID, rpcUrl: config.CHAIN_PUBLIC_RPC_URL ?? anvil.url, token: d.token, distributor: d.distributor }
    log.info({ rpcUrl: anvil.url, anvilPid: anvil.pid, distributor: d.distributor }, `embedded chain on ${anvil.url}`)
    return { info, mode: 'embedded', pub, wallet, stop: () => anvil.stop() }
  } catch (e) {
    await anvil.stop()
    throw e
  }
}

async function startExternal(config: Config, log: Logger): Promise<ChainService> {
  const rpcUrl = config.CHAIN_RPC_URL!
  const chainId = config.CHAIN_ID!
  const { pub, wallet } = clients(rpcUrl, chainId, config.OPERATOR_PRIVATE_KEY as `0x${string}`)
  const actual = await pub.getChainId()
  if (actual !== chainId) throw new Error(`CHAIN_ID is ${chainId} but ${rpcUrl} is chain ${actual}: fix CHAIN_ID or CHAIN_RPC_URL`)
  const d = config.CHAIN_DISTRIBUTOR_ADDRESS
    ? { token: config.CHAIN_TOKEN_ADDRESS as Address, distributor: config.CHAIN_DISTRIBUTOR_ADDRESS as Address }
    : readDeployment(deploymentFile(config.dataDir, chainId, 'external'))
  if (!d) throw new Error(`no reward contracts known on chain ${chainId}: run \`npm run deploy-contracts\` (same CHAIN_* settings) or set CHAIN_TOKEN_ADDRESS and CHAIN_DISTRIBUTOR_ADDRESS`)
  if (!(await hasCode(pub, d.distributor))) throw new Error(`no contract at CHAIN_DISTRIBUTOR_ADDRESS ${d.distributor} on chain ${chainId}`)
  log.info({ chainId, distributor: d.distributor, operator: wallet.account.address }, 'settling on an external chain')
  return { info: { chainId, rpcUrl: config.CHAIN_PUBLIC_RPC_URL ?? rpcUrl, token: d.token, distributor: d.distributor }, mode: 'external', pub, wallet, stop: async () => {} }
}

export async function startChain(config: Config, log: Logger): Promise<ChainService | null> {
  const mode = chainMode(config)
  if (mode === 'off') return null
  return mode === 'embedded' ? startEmbedded(config, log) : startExternal(config, log)
}
