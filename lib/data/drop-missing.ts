/**
 * Real tables have rows without the value to predict (cars without a mileage,
 * customers whose outcome is not known yet). They cannot be trained on, so the
 * caller removes them before fitting and tells the owner how many went.
 */
import { NimbleError } from '../protocol'
import { isBlank, isNumericMissing, listNames, parseNumber } from './cells'

export type KeptRows = {
  rows: string[][]
  /** The file line of each kept row. */
  lines: number[]
  /** How many rows were removed. */
  dropped: number
}

/**
 * Removes the rows whose target cell is missing: blank, or NA/NaN/null/? when the
 * column otherwise holds only numbers (in a column of words "NA" may be a class).
 */
export function dropMissingTarget(header: string[], rows: string[][], target: string, lines?: ArrayLike<number>): KeptRows {
  const j = header.indexOf(target)
  if (j < 0) {
    throw new NimbleError({ code: 'unknown_column', message: `There is no column "${target}" to predict. The columns are: ${listNames(header)}.`, field: target })
  }
  const numeric = rows.every((row) => isNumericMissing(row[j]) || parseNumber(row[j]) !== null)
  const missing = numeric ? isNumericMissing : isBlank
  const kept: string[][] = []
  const keptLines: number[] = []
  rows.forEach((row, i) => {
    if (missing(row[j])) return
    kept.push(row)
    keptLines.push(lines?.[i] ?? i + 2)
  })
  return { rows: kept, lines: keptLines, dropped: rows.length - kept.length }
}
