/**
 * Guesses what each column holds, so the dashboard can show it and preprocessing
 * can pick an encoding. Rules, in order:
 *   empty:       every cell blank;
 *   boolean:     every non-blank cell is true/false/yes/no/t/f/y/n (any case) — 0/1 columns stay numeric;
 *   numeric:     every non-blank cell is a finite number (NA, N/A, NaN, null, ? count as missing here);
 *   text:        identifiers first: over 90% of at least 10 filled cells are distinct (one-hot of
 *                unique values only memorises rows);
 *   categorical: few distinct values (≤ max(20, 5% of filled cells)), or short values (≤ 24 characters
 *                on average) of which at most half are distinct;
 *   text:        anything else — free text.
 * Fitting tells the two kinds of `text` apart (prose becomes text features,
 * identifiers are left out): see looksLikeFreeText in roles.ts.
 */
import type { ColumnInfo, ColumnType } from '../protocol'
import { isBlank, isNumericMissing, parseBoolean, parseNumber } from './cells'

/** ColumnInfo.distinct is reported up to this count. */
export const DISTINCT_CAP = 1000
const FEW_DISTINCT = 20
const FEW_DISTINCT_SHARE = 0.05
const SHORT_VALUE = 24
const REPEATED_SHARE = 0.5
const IDENTIFIER_SHARE = 0.9
const IDENTIFIER_MIN_ROWS = 10

export function inferColumns(header: string[], rows: string[][]): ColumnInfo[] {
  return header.map((name, j) => inferColumn(name, rows, j))
}

function inferColumn(name: string, rows: string[][], j: number): ColumnInfo {
  let blank = 0
  let numericMissing = 0
  let allNumeric = true
  let allBoolean = true
  let length = 0
  for (const row of rows) {
    const cell = row[j]
    if (isBlank(cell)) {
      blank++
      continue
    }
    length += cell!.trim().length
    if (allBoolean && parseBoolean(cell) === null) allBoolean = false
    if (allNumeric && parseNumber(cell) === null) {
      if (isNumericMissing(cell)) numericMissing++
      else allNumeric = false
    }
  }
  const filled = rows.length - blank
  if (filled === 0) return { name, type: 'empty', missing: blank, distinct: 0 }
  if (allBoolean) return { name, type: 'boolean', missing: blank, distinct: countDistinct(rows, j, (c) => String(parseBoolean(c))) }
  if (allNumeric && numericMissing < filled) {
    const distinct = countDistinct(rows, j, (c) => (isNumericMissing(c) ? null : String(parseNumber(c))))
    return { name, type: 'numeric', missing: blank + numericMissing, distinct: Math.min(distinct, DISTINCT_CAP) }
  }
  // Categorical vs text needs the share of distinct values, so count far enough to tell.
  const exactUpTo = Math.max(DISTINCT_CAP, Math.floor(filled * REPEATED_SHARE) + 1)
  const distinct = countDistinct(rows, j, (c) => c.trim(), exactUpTo)
  const identifier = filled >= IDENTIFIER_MIN_ROWS && distinct > filled * IDENTIFIER_SHARE
  const few = distinct <= Math.max(FEW_DISTINCT, filled * FEW_DISTINCT_SHARE)
  const shortAndRepeated = length / filled <= SHORT_VALUE && distinct <= filled * REPEATED_SHARE
  const type: ColumnType = !identifier && (few || shortAndRepeated) ? 'categorical' : 'text'
  return { name, type, missing: blank, distinct: Math.min(distinct, DISTINCT_CAP) }
}

/** Distinct keys of the non-blank cells; counting stops at `cap`. A null key is skipped. */
function countDistinct(rows: string[][], j: number, key: (cell: string) => string | null, cap = DISTINCT_CAP): number {
  const seen = new Set<string>()
  for (const row of rows) {
    const cell = row[j]
    if (isBlank(cell)) continue
    const k = key(cell!)
    if (k === null) continue
    seen.add(k)
    if (seen.size >= cap) break
  }
  return seen.size
}
