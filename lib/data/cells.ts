/**
 * How one CSV cell is read. Inference, fitting and transforming must agree on what
 * counts as missing, as a number and as a boolean, so the rules live here once.
 */

/** Blank cells (empty or whitespace) are missing in every column. */
export function isBlank(cell: string | undefined): boolean {
  return cell === undefined || cell.trim() === ''
}

/**
 * Spellings of "no value" that exports write (R's NA, pandas' NaN, UCI's "?").
 * They count as missing only in numeric columns, where they cannot be values;
 * in a text column "NA" may well be Namibia.
 */
const NUMERIC_MISSING = new Set(['na', 'n/a', 'nan', 'null', '?'])

export function isNumericMissing(cell: string | undefined): boolean {
  return isBlank(cell) || NUMERIC_MISSING.has(cell!.trim().toLowerCase())
}

/** Plain decimals with an optional exponent: "3", " -0.5 ", "1e3", ".5". Not hex, not "Infinity", not "1,000". */
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

/** The finite number a cell holds, or null when it holds anything else. */
export function parseNumber(cell: string | undefined): number | null {
  if (cell === undefined) return null
  const s = cell.trim()
  if (!NUMBER.test(s)) return null
  const n = Number(s)
  return Number.isFinite(n) ? n : null
}

const TRUE = new Set(['true', 'yes', 't', 'y'])
const FALSE = new Set(['false', 'no', 'f', 'n'])

/** true/false for the boolean spellings (case-insensitive), null otherwise. 0/1 are numbers, not booleans. */
export function parseBoolean(cell: string | undefined): boolean | null {
  if (cell === undefined) return null
  const s = cell.trim().toLowerCase()
  if (TRUE.has(s)) return true
  if (FALSE.has(s)) return false
  return null
}

/** The `field` of an error about a whole line of the file. */
export function lineField(line: number): string {
  return `line ${line}`
}

/** Sorts strings by code unit: the same order on every machine, unlike localeCompare. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Column names for a message, shortened when there are many. */
export function listNames(names: readonly string[], max = 30): string {
  const shown = names.slice(0, max).map((n) => `"${n}"`).join(', ')
  return names.length > max ? `${shown} and ${names.length - max} more` : shown
}

/** A cell value quoted for a message, cut short so a paragraph of text does not flood it. */
export function quoteValue(cell: string, max = 60): string {
  const s = cell.trim()
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s)
}
