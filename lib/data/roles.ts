/**
 * How each column is used: the owner's override when there is one, otherwise the
 * inferred type. Inference calls a column `text` both when it holds free text and
 * when it holds identifiers (nearly every value distinct); the rule that tells the
 * two apart lives here, in looksLikeFreeText, and nowhere else.
 */
import { NimbleError, type ColumnInfo, type ColumnRole, type ColumnType } from '../protocol'
import { isBlank, listNames } from './cells'

/** Free text averages more than this many characters per filled cell… */
const FREE_TEXT_LENGTH = 30
/** …or at least this many words. "John Smith" and "C-1042" are labels, not prose. */
const FREE_TEXT_WORDS = 3

/** What fitting does with a column: an encoding, or leaving it out (`identifier`: left out with a note). */
export type Role = ColumnType | 'identifier' | 'ignore'

/** Checks the override names against the header: an unknown name is unknown_column naming it. */
export function checkOverrides(header: string[], overrides: Record<string, ColumnRole> | undefined): void {
  for (const name of Object.keys(overrides ?? {})) {
    if (!header.includes(name)) {
      throw new NimbleError({
        code: 'unknown_column',
        message: `The column settings name "${name}", which is not a column of this dataset. The columns are: ${listNames(header)}. Fix the name or remove the setting.`,
        field: name,
      })
    }
  }
}

/** The role of feature column j: override first, then the inferred type, splitting `text` into prose and identifiers. */
export function columnRole(info: ColumnInfo, override: ColumnRole | undefined, rows: string[][], j: number): Role {
  if (override) return override
  if (info.type === 'text') return looksLikeFreeText(rows, j) ? 'text' : 'identifier'
  return info.type
}

/** True for prose (long cells, or several words per cell); false for IDs, codes, emails and names. */
export function looksLikeFreeText(rows: string[][], j: number): boolean {
  let filled = 0
  let length = 0
  let words = 0
  for (const row of rows) {
    const cell = row[j]
    if (isBlank(cell)) continue
    const s = cell!.trim()
    filled++
    length += s.length
    words += countWords(s)
  }
  if (filled === 0) return false
  return length / filled > FREE_TEXT_LENGTH || words / filled >= FREE_TEXT_WORDS
}

function countWords(s: string): number {
  let words = 0
  let inWord = false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const space = c === 32 || c === 9 || c === 10 || c === 13
    if (!space && !inWord) words++
    inWord = !space
  }
  return words
}
