/**
 * Settlement daemon: publishes each epoch's Merkle root of cumulative rewards.
 *
 * Inputs: credits (verified work) and devices.address, the distributor on chain.
 * Output: one reward_epochs row per epoch and one setRoot transaction per epoch.
 * Transitions of a reward_epochs row:
 *   (none) -> pending    the tree is built and recorded BEFORE anything is sent
 *   pending -> sent      setRoot is in the mempool; its tx hash is recorded
 *   sent|pending -> confirmed   the chain's rootOf(epoch) equals the recorded root
 *   -> conflict          the chain holds a DIFFERENT root for that epoch (someone else's key); never overwritten
 *   -> abandoned         the chain moved past the epoch without it; the next epoch's cumulative amounts cover it
 * Every run first reconciles any open row with the chain (a crash between sending and recording
 * leaves one), so an epoch never gets a second root, and since amounts are cumulative a credit
 * missed by one root is in the next: none is lost. Runs are serialised.
 */
import { BaseError, ContractFunctionRevertedError, zeroHash, type Hex } from 'viem'
import { rewardDistributorAbi } from '../../lib/chain/artifacts'
import { buildRewardTree } from '../../lib/chain/tree'
import { NimbleError, type SettleResult } from '../../lib/protocol'
import type { Ctx } from '../context'
import { transition } from '../log'
import { settlements } from '../metrics'
import type { RewardEpochTable } from '../store/schema'
import type { Selectable } from 'kysely'
import { earnedBalances } from './balances'
import type { ChainService } from './service'

type EpochRow = Selectable<RewardEpochTable>

/** Test-only fault injection: die with SIGKILL right before or right after sending setRoot. */
const FAULT = process.env.NIMBLE_FAULT_SETTLEMENT

export class Settlement {
  private queue: Promise<unknown> = Promise.resolve()
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly ctx: Ctx,
    private readonly chain: ChainService,
  ) {}

  get distributor(): string {
    return this.chain.info.distributor.toLowerCase()
  }

  /** Reconcile what the last process left open, then settle every `epochSeconds` (0: only on demand). */
  start(epochSeconds: number): void {
    void this.serial(() => this.ctx.cluster.exclusive('settlement', () => this.reconcileOpen(), { wait: true })).catch((e) => this.ctx.log.error({ err: e }, 'settlement reconcile failed; will retry on the next settlement'))
    if (epochSeconds > 0) {
      this.timer = setInterval(() => {
        void this.settle().catch((e) => this.ctx.log.error({ err: e }, 'scheduled settlement failed'))
      }, epochSeconds * 1000)
      this.timer.unref()
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }

  /** One coordinator settles at a time (advisory lock); another asking meanwhile waits for it. */
  settle(): Promise<SettleResult> {
    return this.serial(async () => {
      try {
        const r = (await this.ctx.cluster.exclusive('settlement', () => this.run(), { wait: true }))!
        settlements.inc({ status: r.status })
        return r
      } catch (e) {
        settlements.inc({ status: 'error' })
        throw e
      }
    })
  }

  /** Waits for queued runs; resolves to the latest confirmed epoch (for reads). */
  async latestConfirmed(): Promise<EpochRow | undefined> {
    return this.ctx.db.selectFrom('reward_epochs').selectAll().where('distributor', '=', this.distributor).where('state', '=', 'confirmed').orderBy('epoch', 'desc').limit(1).executeTakeFirst()
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn)
    this.queue = next.catch(() => {})
    return next
  }

  private async run(): Promise<SettleResult> {
    await this.reconcileOpen()
    const balances = (await earnedBalances(this.ctx.db, this.ctx.config.prices.volunteerPerTflop)).filter((b) => b.amount > 0n)
    const last = await this.latestConfirmed()
    if (!balances.length) return { status: 'nothing', epoch: last?.epoch ?? null, root: (last?.root as Hex) ?? null, txHash: (last?.tx_hash as Hex) ?? null, addresses: 0, total: '0' }
    const tree = buildRewardTree(balances)
    const total = balances.reduce((s, b) => s + b.amount, 0n).toString()
    if (last && last.root === tree.root) return { status: 'unchanged', epoch: last.epoch, root: last.root as Hex, txHash: (last.tx_hash as Hex) ?? null, addresses: last.addresses, total: last.total }
    const chainEpoch = Number(await this.read('epoch', []))
    const maxLedger = await this.ctx.db.selectFrom('reward_epochs').select((eb) => eb.fn.max('epoch').as('m')).where('distributor', '=', this.distributor).executeTakeFirst()
    const epoch = Math.max(chainEpoch, Number(maxLedger?.m ?? 0)) + 1
    const now = this.ctx.now()
    const row: EpochRow = { distributor: this.distributor, epoch, root: tree.root, tree_json: JSON.stringify(tree.dump), total, addresses: balances.length, state: 'pending', tx_hash: null, created_at: now, updated_at: now }
    await this.ctx.db.insertInto('reward_epochs').values(row).execute()
    // On disk before the root leaves: the epoch row, and every credit the root pays (group commit).
    await this.ctx.durable()
    transition(this.ctx.log, 'epoch', epoch, 'none', 'pending', { root: tree.root, addresses: balances.length, total })
    const done = await this.send(row)
    if (done.state !== 'confirmed') throw new NimbleError({ code: 'chain_unavailable', message: `epoch ${epoch} ended ${done.state}; see the coordinator log` })
    return { status: 'settled', epoch, root: tree.root, txHash: done.tx_hash as Hex, addresses: balances.length, total }
  }

  /** Brings every pending/sent row to confirmed, conflict or abandoned by asking the chain. */
  private async reconcileOpen(): Promise<void> {
    const open = await this.ctx.db.selectFrom('reward_epochs').selectAll().where('distributor', '=', this.distributor).where('state', 'in', ['pending', 'sent']).orderBy('epoch').execute()
    for (const row of open) {
      this.ctx.log.info({ epoch: row.epoch, state: row.state, txHash: row.tx_hash }, `reconciling epoch ${row.epoch} (${row.state}) with the chain`)
      if (await this.settledOnChain(row)) continue
      if (row.tx_hash) {
        const tx = await this.chain.pub.getTransaction({ hash: row.tx_hash as Hex }).catch(() => null)
        if (tx) {
          await this.chain.pub.waitForTransactionReceipt({ hash: row.tx_hash as Hex, timeout: 120_000 }).catch(() => null)
          if (await this.settledOnChain(row)) continue
        }
      }
      // Never reached the chain (or was dropped): send the SAME root for the same epoch again.
      await this.send(row)
    }
  }

  /** True (and the row updated) when the chain already decided this epoch. */
  private async settledOnChain(row: EpochRow): Promise<boolean> {
    const onChain = (await this.read('rootOf', [BigInt(row.epoch)])) as Hex
    if (onChain === row.root) {
      const txHash = row.tx_hash ?? (await this.findRootTx(row.epoch))
      await this.mark(row, 'confirmed', txHash)
      return true
    }
    if (onChain !== zeroHash) {
      this.ctx.log.error({ epoch: row.epoch, ours: row.root, onChain }, `the chain holds a different root for epoch ${row.epoch}: another key published it; leaving it alone`)
      await this.mark(row, 'conflict', row.tx_hash)
      return true
    }
    const chainEpoch = Number(await this.read('epoch', []))
    if (chainEpoch >= row.epoch) {
      this.ctx.log.warn({ epoch: row.epoch, chainEpoch }, `the chain moved past epoch ${row.epoch} without it; the next epoch's cumulative amounts include its credit`)
      await this.mark(row, 'abandoned', row.tx_hash)
      return true
    }
    return false
  }

  private async send(row: EpochRow): Promise<EpochRow> {
    const { pub, wallet, info } = this.chain
    if (FAULT === 'crash-before-send') process.kill(process.pid, 'SIGKILL')
    let request
    try {
      ;({ request } = await pub.simulateContract({ account: wallet.account, address: info.distributor, abi: rewardDistributorAbi, functionName: 'setRoot', args: [BigInt(row.epoch), row.root as Hex] }))
    } catch (e) {
      const revert = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null
      if (revert && (await this.settledOnChain(row))) return this.reload(row)
      throw new NimbleError({ code: 'chain_unavailable', message: `setRoot for epoch ${row.epoch} cannot be sent: ${e instanceof BaseError ? e.shortMessage : String(e)}`, cause: e })
    }
    const hash = await wallet.writeContract(request)
    if (FAULT === 'crash-after-send') process.kill(process.pid, 'SIGKILL')
    await this.mark(row, 'sent', hash)
    const receipt = await pub.waitForTransactionReceipt({ hash, timeout: 120_000 })
    if (receipt.status !== 'success') {
      if (!(await this.settledOnChain({ ...row, tx_hash: hash }))) await this.mark(row, 'abandoned', hash)
      return this.reload(row)
    }
    await this.mark({ ...row, state: 'sent' }, 'confirmed', hash)
    return this.reload(row)
  }

  private async mark(row: EpochRow, state: EpochRow['state'], txHash: string | null): Promise<void> {
    await this.ctx.db.updateTable('reward_epochs').set({ state, tx_hash: txHash, updated_at: this.ctx.now() }).where('distributor', '=', row.distributor).where('epoch', '=', row.epoch).execute()
    transition(this.ctx.log, 'epoch', row.epoch, row.state, state, { txHash })
    row.state = state
  }

  private async reload(row: EpochRow): Promise<EpochRow> {
    return this.ctx.db.selectFrom('reward_epochs').selectAll().where('distributor', '=', row.distributor).where('epoch', '=', row.epoch).executeTakeFirstOrThrow()
  }

  private async findRootTx(epoch: number): Promise<string | null> {
    const logs = await this.chain.pub
      .getContractEvents({ address: this.chain.info.distributor, abi: rewardDistributorAbi, eventName: 'RootSet', args: { epoch: BigInt(epoch) }, fromBlock: 0n })
      .catch(() => [])
    return logs[0]?.transactionHash ?? null
  }

  private read(functionName: 'epoch' | 'rootOf', args: [] | [bigint]): Promise<unknown> {
    return this.chain.pub.readContract({ address: this.chain.info.distributor, abi: rewardDistributorAbi, functionName, args } as never)
  }
}
