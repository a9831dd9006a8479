/**
 * ROC AUC and the ROC curve of one score per example against a binary truth. AUC is the
 * Mann-Whitney statistic: the chance a random positive scores above a random negative, a tie
 * counting one half (average ranks). The curve has one point per distinct threshold,
 * downsampled to at most `maxPoints` (first and last kept). Float64 throughout.
 */

/** AUC of `scores` for `positive`; null when either class is absent (the AUC is undefined). */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number | null {
  const n = scores.length
  const order = sortedIndices(scores)
  let pos = 0
  let rankSum = 0
  for (let i = 0; i < n; ) {
    let j = i
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++
    const rank = (i + j) / 2 + 1 // average 1-based rank of the tied run
    for (let k = i; k <= j; k++) {
      if (positive[order[k]]) {
        pos++
        rankSum += rank
      }
    }
    i = j + 1
  }
  const neg = n - pos
  if (pos === 0 || neg === 0) return null
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg)
}

export type RocCurve = { fpr: number[]; tpr: number[] }

/** The ROC curve from (0, 0) to (1, 1); null when either class is absent. */
export function rocCurve(scores: ArrayLike<number>, positive: ArrayLike<boolean>, maxPoints = 101): RocCurve | null {
  const n = scores.length
  let pos = 0
  for (let i = 0; i < n; i++) if (positive[i]) pos++
  const neg = n - pos
  if (pos === 0 || neg === 0) return null
  const order = sortedIndices(scores).reverse() // highest score first
  const fpr = [0]
  const tpr = [0]
  let tp = 0
  let fp = 0
  for (let i = 0; i < n; ) {
    let j = i
    while (j < n && scores[order[j]] === scores[order[i]]) {
      if (positive[order[j]]) tp++
      else fp++
      j++
    }
    fpr.push(fp / neg)
    tpr.push(tp / pos)
    i = j
  }
  return downsample({ fpr, tpr }, maxPoints)
}

function downsample(curve: RocCurve, maxPoints: number): RocCurve {
  const m = curve.fpr.length
  if (m <= maxPoints) return curve
  const keep = Array.from({ length: maxPoints }, (_, k) => Math.round((k * (m - 1)) / (maxPoints - 1)))
  return { fpr: keep.map((i) => curve.fpr[i]), tpr: keep.map((i) => curve.tpr[i]) }
}

function sortedIndices(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b])
}
