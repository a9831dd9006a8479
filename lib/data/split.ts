/**
 * Splits row indices into train, validation and test sets: deterministic for a
 * seed, disjoint, covering every row. With labels the split is stratified: each
 * class is split in the requested proportions (rounded per class) and keeps at
 * least one training row. Each set comes out shuffled, so contiguous shards of it
 * mix the classes even when the file is sorted by class.
 */
import { NimbleError } from '../protocol'
import { createRng, shuffleInPlace, type Rng } from './rng'

export type SplitRowsOptions = {
  /** Share of rows for validation, in [0, 1). */
  validation: number
  /** Share of rows for the final test, in [0, 1). validation + test must stay below 1. */
  test: number
  seed: number
  /** One class index per row; when given, the split is stratified. */
  labels?: ArrayLike<number>
}

export type RowSplit = { train: Uint32Array; validation: Uint32Array; test: Uint32Array }

export function splitRows(n: number, opts: SplitRowsOptions): RowSplit {
  checkOptions(n, opts)
  const rng = createRng(opts.seed)
  const groups = opts.labels ? groupByLabel(opts.labels) : [allRows(n)]
  const train: number[] = []
  const validation: number[] = []
  const test: number[] = []
  for (const group of groups) {
    shuffleInPlace(group, rng)
    const { nValidation, nTest } = counts(group.length, opts)
    for (let i = 0; i < group.length; i++) {
      const row = group[i]!
      if (i < nTest) test.push(row)
      else if (i < nTest + nValidation) validation.push(row)
      else train.push(row)
    }
  }
  return { train: shuffled(train, rng), validation: shuffled(validation, rng), test: shuffled(test, rng) }
}

/** Rounded shares of `size` rows, leaving at least one for training. */
function counts(size: number, opts: SplitRowsOptions): { nValidation: number; nTest: number } {
  let nTest = Math.round(size * opts.test)
  let nValidation = Math.round(size * opts.validation)
  while (size > 0 && size - nTest - nValidation < 1) {
    if (nValidation > 0) nValidation--
    else nTest--
  }
  return { nValidation, nTest }
}

function groupByLabel(labels: ArrayLike<number>): Uint32Array[] {
  const groups = new Map<number, number[]>()
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!
    const group = groups.get(label)
    if (group) group.push(i)
    else groups.set(label, [i])
  }
  // Sorted by label so the rng is consumed in the same order however the rows are ordered.
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, rows]) => Uint32Array.from(rows))
}

function allRows(n: number): Uint32Array {
  const rows = new Uint32Array(n)
  for (let i = 0; i < n; i++) rows[i] = i
  return rows
}

function shuffled(rows: number[], rng: Rng): Uint32Array {
  return shuffleInPlace(Uint32Array.from(rows), rng)
}

function checkOptions(n: number, opts: SplitRowsOptions): void {
  const bad = (field: string, message: string) => new NimbleError({ code: 'bad_request', message, field })
  if (!Number.isInteger(n) || n < 0) throw bad('n', `Cannot split ${n} rows: the count must be a non-negative integer.`)
  for (const field of ['validation', 'test'] as const) {
    const share = opts[field]
    if (!Number.isFinite(share) || share < 0 || share >= 1) throw bad(field, `The ${field} share must be at least 0 and below 1, got ${share}.`)
  }
  if (opts.validation + opts.test >= 1) {
    throw bad('validation', `The validation (${opts.validation}) and test (${opts.test}) shares add up to 1 or more, leaving no rows to train on. Lower them.`)
  }
  if (opts.labels && opts.labels.length !== n) {
    throw bad('labels', `Got ${opts.labels.length} labels for ${n} rows; give exactly one label per row.`)
  }
}
