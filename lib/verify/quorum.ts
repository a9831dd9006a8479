/**
 * Quorum over the replicas of one task (BOINC's validator, with a tolerance instead of
 * bitwise equality): the largest group of mutually agreeing results wins once it has
 * `needed` members and no other group is as large; the rest are outliers. Two results that
 * disagree call for a third copy, and the majority wins.
 */
export type QuorumOutcome =
  | { state: 'accepted'; winners: number[]; losers: number[] }
  /** Not decided yet: run one more copy. */
  | { state: 'more' }
  /** maxCopies results and still no majority. */
  | { state: 'exhausted' }

/**
 * @param n        how many results there are (indices 0..n-1)
 * @param agree    whether results i and j agree (symmetric)
 * @param needed   agreeing copies required (1: a single trusted result stands alone)
 */
export function quorum(n: number, agree: (i: number, j: number) => boolean, needed: number, maxCopies: number): QuorumOutcome {
  if (n === 0) return { state: 'more' }
  // The group around each result: itself plus everything agreeing with it.
  const groups = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => j).filter((j) => j === i || agree(i, j)))
  // A group only counts when its members all agree with one another (agreement within a tolerance is not transitive).
  const cliques = groups.filter((g) => g.every((a) => g.every((b) => a === b || agree(a, b))))
  const best = cliques.reduce<number[] | null>((m, g) => (!m || g.length > m.length ? g : m), null)
  if (best && best.length >= needed) {
    const rivals = cliques.filter((g) => g.length === best.length && g.some((x) => !best.includes(x)))
    // A strict majority of all results returned, and no tie with another group.
    if (rivals.length === 0 && best.length > n - best.length) {
      return { state: 'accepted', winners: [...best].sort((a, b) => a - b), losers: Array.from({ length: n }, (_, i) => i).filter((i) => !best.includes(i)) }
    }
  }
  return n >= maxCopies ? { state: 'exhausted' } : { state: 'more' }
}
