/** Test helpers for rewards: viem clients on a coordinator's chain, funded deterministic wallets, the credit ledger read straight from SQLite. */
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { createPublicClient, createWalletClient, defineChain, http, keccak256, toHex, type Address, type Hex, type PublicClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { nimbleTokenAbi, rewardDistributorAbi } from '../../lib/chain/artifacts'
import type { Coord } from './harness'
import pg from 'pg'
import { databaseUrlFor } from './harness'

export const testKey = (label: string): Hex => keccak256(toHex(`nimble-test:${label}`))
export const testAddress = (label: string): Address => privateKeyToAccount(testKey(label)).address

export async function chainOf(coord: Coord) {
  const info = (await coord.api.call('GET', '/api/chain')).body as { chainId: number; rpcUrl: string; token: Address; distributor: Address }
  const chain = defineChain({ id: info.chainId, name: 'test', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [info.rpcUrl] } } })
  const pub = createPublicClient({ chain, transport: http(info.rpcUrl), pollingInterval: 100 }) as PublicClient
  return {
    info,
    pub,
    balance: (a: Address) => pub.readContract({ address: info.token, abi: nimbleTokenAbi, functionName: 'balanceOf', args: [a] }),
    chainEpoch: () => pub.readContract({ address: info.distributor, abi: rewardDistributorAbi, functionName: 'epoch' }),
    rootOf: (e: bigint) => pub.readContract({ address: info.distributor, abi: rewardDistributorAbi, functionName: 'rootOf', args: [e] }),
    /** Claims `account`'s rewards as returned by GET /api/rewards, sent by `label`'s wallet (given gas first). */
    async claim(label: string, r: { address: Address; cumulativeAmount: string; root: Hex; proof: Hex[] }) {
      const account = privateKeyToAccount(testKey(label))
      await pub.request({ method: 'anvil_setBalance' as never, params: [account.address, toHex(10n ** 19n)] as never })
      const wallet = createWalletClient({ account, chain, transport: http(info.rpcUrl) })
      const hash = await wallet.writeContract({ address: info.distributor, abi: rewardDistributorAbi, functionName: 'claim', args: [r.address, BigInt(r.cumulativeAmount), r.root, r.proof] })
      return pub.waitForTransactionReceipt({ hash })
    },
  }
}

/** Σ credits.flops per payout address (each row rounded to whole FLOPs), read from the coordinator's database (SQLite or PostgreSQL). */
export async function creditedFlops(dataDir: string): Promise<Map<string, bigint>> {
  const query = 'SELECT d.address AS address, c.flops AS flops FROM credits c JOIN devices d ON d.id = c.device_id'
  let rows: { address: string | null; flops: number }[]
  const url = databaseUrlFor(dataDir)
  if (url) {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      rows = (await client.query(query)).rows.map((r) => ({ address: r.address, flops: Number(r.flops) }))
    } finally {
      await client.end()
    }
  } else {
    const db = new SQLite(path.join(dataDir, 'nimble.sqlite'), { readonly: true })
    try {
      rows = db.prepare(query).all() as { address: string | null; flops: number }[]
    } finally {
      db.close()
    }
  }
  const out = new Map<string, bigint>()
  for (const r of rows) out.set(r.address ?? '', (out.get(r.address ?? '') ?? 0n) + BigInt(Math.round(r.flops)))
  return out
}
