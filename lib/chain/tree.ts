/**
 * The reward tree (pure): leaves `(address, cumulativeAmount)` hashed as OpenZeppelin's
 * StandardMerkleTree does, which is what RewardDistributor.claim verifies with MerkleProof.
 * Addresses are lower case and sorted, so the same balances always give the same root.
 */
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import type { Hex } from 'viem'

export const LEAF_ENCODING = ['address', 'uint256'] as const
export type RewardEntry = { address: `0x${string}`; amount: bigint }
export type TreeDump = ReturnType<StandardMerkleTree<[string, string]>['dump']>

export function buildRewardTree(entries: RewardEntry[]): { root: Hex; dump: TreeDump } {
  if (!entries.length) throw new RangeError('a reward tree needs at least one address with a positive amount')
  const seen = new Set<string>()
  const values = entries
    .map((e) => {
      const a = e.address.toLowerCase()
      if (!/^0x[0-9a-f]{40}$/.test(a)) throw new RangeError(`not an address: ${e.address}`)
      if (seen.has(a)) throw new RangeError(`address twice in one tree: ${a}`)
      if (e.amount <= 0n) throw new RangeError(`amount for ${a} must be positive, got ${e.amount}`)
      seen.add(a)
      return [a, e.amount.toString()] as [string, string]
    })
    .sort((x, y) => (x[0] < y[0] ? -1 : 1))
  const tree = StandardMerkleTree.of(values, [...LEAF_ENCODING])
  return { root: tree.root as Hex, dump: tree.dump() }
}

/** An address's cumulative amount and proof in a stored tree, or null if it has no leaf. */
export function proofFor(dump: TreeDump, address: string): { amount: bigint; proof: Hex[] } | null {
  const tree = StandardMerkleTree.load(dump)
  const a = address.toLowerCase()
  for (const [i, v] of tree.entries()) {
    if (v[0].toLowerCase() === a) return { amount: BigInt(v[1]), proof: tree.getProof(i) as Hex[] }
  }
  return null
}

/** Every leaf of a stored tree. */
export function treeEntries(dump: TreeDump): RewardEntry[] {
  const tree = StandardMerkleTree.load(dump)
  return [...tree.entries()].map(([, v]) => ({ address: v[0].toLowerCase() as `0x${string}`, amount: BigInt(v[1]) }))
}
