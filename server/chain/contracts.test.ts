/** RewardDistributor and NimbleToken on a real anvil: every rule of the cumulative claim. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BaseError, ContractFunctionRevertedError, type Address, type Hex } from 'viem'
import { nimbleTokenAbi, rewardDistributorAbi } from '../../lib/chain/artifacts'
import { buildRewardTree, proofFor, type RewardEntry } from '../../lib/chain/tree'
import { deployContracts, INITIAL_SUPPLY } from './deploy'
import { startTestChain, type TestChain } from './test-chain'

let t: TestChain
let token: Address
let distributor: Address
let owner: Awaited<ReturnType<TestChain['wallet']>>
let alice: Awaited<ReturnType<TestChain['wallet']>>
let bob: Awaited<ReturnType<TestChain['wallet']>>
let mallory: Awaited<ReturnType<TestChain['wallet']>>

beforeAll(async () => {
  t = await startTestChain()
  ;[owner, alice, bob, mallory] = await Promise.all(['owner', 'alice', 'bob', 'mallory'].map((l) => t.wallet(l)))
  ;({ token, distributor } = await deployContracts(t.pub, owner))
})
afterAll(async () => {
  await t?.anvil.stop()
})

const balance = (a: Address) => t.pub.readContract({ address: token, abi: nimbleTokenAbi, functionName: 'balanceOf', args: [a] })
const claimedOf = (a: Address) => t.pub.readContract({ address: distributor, abi: rewardDistributorAbi, functionName: 'claimed', args: [a] })

async function setRoot(epoch: bigint, entries: RewardEntry[], by = owner) {
  const tree = buildRewardTree(entries)
  const hash = await by.writeContract({ address: distributor, abi: rewardDistributorAbi, functionName: 'setRoot', args: [epoch, tree.root] })
  expect((await t.pub.waitForTransactionReceipt({ hash })).status).toBe('success')
  return tree
}

async function claim(by: typeof alice, account: Address, amount: bigint, root: Hex, proof: Hex[]) {
  const { request } = await t.pub.simulateContract({ account: by.account, address: distributor, abi: rewardDistributorAbi, functionName: 'claim', args: [account, amount, root, proof] })
  const hash = await by.writeContract(request)
  return t.pub.waitForTransactionReceipt({ hash })
}

/** The custom error a call reverts with (simulated, so nothing is mined). */
async function revertName(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (e) {
    const r = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null
    return r instanceof ContractFunctionRevertedError ? (r.data?.errorName ?? r.reason ?? 'reverted') : `not a revert: ${String(e)}`
  }
  return undefined
}

const simulateClaim = (by: typeof alice, account: Address, amount: bigint, root: Hex, proof: Hex[]) =>
  t.pub.simulateContract({ account: by.account, address: distributor, abi: rewardDistributorAbi, functionName: 'claim', args: [account, amount, root, proof] })

describe('RewardDistributor', () => {
  let tree1: ReturnType<typeof buildRewardTree>
  it('is funded with the whole supply at deployment', async () => {
    expect(await balance(distributor)).toBe(INITIAL_SUPPLY)
  })

  it('pays a claim the proven cumulative amount', async () => {
    tree1 = await setRoot(1n, [
      { address: alice.account.address, amount: 1000n },
      { address: bob.account.address, amount: 250n },
    ])
    const p = proofFor(tree1.dump, alice.account.address)!
    const rc = await claim(alice, alice.account.address, p.amount, tree1.root, p.proof)
    expect(rc.status).toBe('success')
    expect(await balance(alice.account.address)).toBe(1000n)
    expect(await claimedOf(alice.account.address)).toBe(1000n)
  })

  it('reverts a double claim', async () => {
    const p = proofFor(tree1.dump, alice.account.address)!
    expect(await revertName(simulateClaim(alice, alice.account.address, p.amount, tree1.root, p.proof))).toBe('NothingToClaim')
  })

  it('reverts a wrong proof and a wrong amount', async () => {
    const bobs = proofFor(tree1.dump, bob.account.address)!
    expect(await revertName(simulateClaim(bob, bob.account.address, 251n, tree1.root, bobs.proof))).toBe('InvalidProof')
    const alices = proofFor(tree1.dump, alice.account.address)!
    expect(await revertName(simulateClaim(bob, bob.account.address, bobs.amount, tree1.root, alices.proof))).toBe('InvalidProof')
  })

  it('refuses setRoot from anyone but the owner, and a repeated or older epoch', async () => {
    expect(await revertName(t.pub.simulateContract({ account: mallory.account, address: distributor, abi: rewardDistributorAbi, functionName: 'setRoot', args: [2n, tree1.root] }))).toBe('OwnableUnauthorizedAccount')
    expect(await revertName(t.pub.simulateContract({ account: owner.account, address: distributor, abi: rewardDistributorAbi, functionName: 'setRoot', args: [1n, tree1.root] }))).toBe('EpochNotIncreasing')
  })

  it('tops up in a second epoch: pays only the difference', async () => {
    const tree2 = await setRoot(2n, [
      { address: alice.account.address, amount: 1600n },
      { address: bob.account.address, amount: 250n },
    ])
    const p = proofFor(tree2.dump, alice.account.address)!
    const rc = await claim(alice, alice.account.address, p.amount, tree2.root, p.proof)
    expect(rc.status).toBe('success')
    expect(await balance(alice.account.address)).toBe(1600n)
    expect(await claimedOf(alice.account.address)).toBe(1600n)
    expect(await t.pub.readContract({ address: distributor, abi: rewardDistributorAbi, functionName: 'rootOf', args: [1n] })).toBe(tree1.root)
  })

  it('reverts a claim against a stale expectedRoot', async () => {
    const p = proofFor(tree1.dump, bob.account.address)!
    expect(await revertName(simulateClaim(bob, bob.account.address, p.amount, tree1.root, p.proof))).toBe('StaleRoot')
  })

  it('pays the account, not the sender, when someone else sends the claim', async () => {
    const tree = await setRoot(3n, [
      { address: alice.account.address, amount: 1600n },
      { address: bob.account.address, amount: 400n },
    ])
    const p = proofFor(tree.dump, bob.account.address)!
    const before = await balance(mallory.account.address)
    const rc = await claim(mallory, bob.account.address, p.amount, tree.root, p.proof)
    expect(rc.status).toBe('success')
    expect(await balance(bob.account.address)).toBe(400n)
    expect(await balance(mallory.account.address)).toBe(before)
    expect(await balance(distributor)).toBe(INITIAL_SUPPLY - 2000n)
  })
})
