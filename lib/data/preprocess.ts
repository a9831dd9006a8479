/**
 * Fits the preprocessing of a tabular dataset: which columns feed the model and
 * how each is encoded (numeric standardised, boolean 0/1, categorical one-hot),
 * plus the target's classes. The result is plain JSON, stored with the model, so
 * prediction encodes new rows exactly as training did (see transform.ts).
 */
import { NimbleError, type ColumnInfo } from '../protocol'
import { compareStrings, isBlank, isNumericMissing, listNames, parseBoolean, parseNumber } from './cells'
import { featureWidth, Preprocessing, type FeatureSpec } from './preprocessing'
import { nonNumeric, notBoolean } from './errors'
import { fitTarget } from './target'

export { transformRows } from './transform'

/** A categorical column keeps its most frequent values up to this many; the rest share one "other" input. */
export const MAX_CATEGORIES = 100

export type FitPreprocessingOptions = {
  /** Columns to leave out of the features. */
  ignore?: string[]
  /** The file line of each row (ParsedCsv.lines), for error messages; defaults to row index + 2. */
  lines?: ArrayLike<number>
}

type Fitted = { feature: FeatureSpec | null; note?: string }

export function fitPreprocessing(
  header: string[],
  rows: string[][],
  columns: ColumnInfo[],
  target: string,
  opts: FitPreprocessingOptions = {},
): Preprocessing {
  const lineOf = (i: number) => opts.lines?.[i] ?? i + 2
  const ignore = new Set(opts.ignore ?? [])
  for (const name of ignore) {
    if (!header.includes(name)) {
      throw new NimbleError({ code: 'unknown_column', message: `Cannot ignore "${name}": there is no such column. The columns are: ${listNames(header)}.`, field: name })
    }
  }
  const fittedTarget = fitTarget(header, rows, columns, target, lineOf)
  const features: FeatureSpec[] = []
  const notes = [...fittedTarget.notes]
  header.forEach((name, j) => {
    if (name === target || ignore.has(name)) return
    const info = columns.find((c) => c.name === name)
    if (!info) {
      throw new NimbleError({ code: 'unknown_column', message: `No column type was inferred for "${name}"; run inferColumns on the same header.`, field: name })
    }
    const fitted = fitColumn(info, rows, j, lineOf)
    if (fitted.feature) features.push(fitted.feature)
    if (fitted.note) notes.push(fitted.note)
  })
  if (features.length === 0) {
    throw new NimbleError({
      code: 'invalid_csv',
      message: `No column is left to learn from besides the target "${target}" (empty, text and ignored columns are left out). Add numeric, yes/no or category columns.`,
    })
  }
  const inputSize = features.reduce((sum, f) => sum + featureWidth(f), 0)
  return Preprocessing.parse({ version: 1, features, inputSize, target, ...fittedTarget, notes })
}

function fitColumn(info: ColumnInfo, rows: string[][], j: number, lineOf: (i: number) => number): Fitted {
  const name = info.name
  switch (info.type) {
    case 'empty':
      return { feature: null, note: `Column "${name}" is empty, so it was left out.` }
    case 'text':
      return { feature: null, note: `Column "${name}" holds free text or identifiers (${info.distinct}${info.distinct >= 1000 ? '+' : ''} distinct values); text is not used for training yet, so it was left out.` }
    case 'numeric':
      return fitNumeric(name, rows, j, lineOf)
    case 'boolean':
      return fitBoolean(name, rows, j, lineOf)
    case 'categorical':
      return fitCategorical(name, rows, j)
  }
}

function fitNumeric(column: string, rows: string[][], j: number, lineOf: (i: number) => number): Fitted {
  // Welford's running mean and variance: one pass, no overflow from summing squares.
  let count = 0
  let mean = 0
  let m2 = 0
  for (let i = 0; i < rows.length; i++) {
    const cell = rows[i]![j]
    const v = parseNumber(cell)
    if (v === null) {
      if (isNumericMissing(cell)) continue
      throw nonNumeric(column, cell!, lineOf(i))
    }
    count++
    const delta = v - mean
    mean += delta / count
    m2 += delta * (v - mean)
  }
  if (count === 0) return { feature: null, note: `Column "${column}" has no numbers in these rows, so it was left out.` }
  const sd = Math.sqrt(m2 / count)
  const std = Number.isFinite(sd) && sd > 0 ? sd : 1
  const missing = rows.length - count
  const note = missing > 0 ? `Filled ${missing} missing values of "${column}" with its mean, ${round(mean)}.` : undefined
  return { feature: { kind: 'numeric', column, mean, std }, note }
}

function fitBoolean(column: string, rows: string[][], j: number, lineOf: (i: number) => number): Fitted {
  let trues = 0
  let count = 0
  for (let i = 0; i < rows.length; i++) {
    const cell = rows[i]![j]
    if (isBlank(cell)) continue
    const b = parseBoolean(cell)
    if (b === null) throw notBoolean(column, cell!, lineOf(i))
    count++
    if (b) trues++
  }
  if (count === 0) return { feature: null, note: `Column "${column}" has no values in these rows, so it was left out.` }
  const fill = trues / count
  const missing = rows.length - count
  const note = missing > 0 ? `Filled ${missing} missing values of "${column}" with the share of true values, ${round(fill)}.` : undefined
  return { feature: { kind: 'boolean', column, fill }, note }
}

function fitCategorical(column: string, rows: string[][], j: number): Fitted {
  const counts = new Map<string, number>()
  for (const row of rows) {
    const cell = row[j]
    if (isBlank(cell)) continue
    const key = cell!.trim()
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  if (counts.size === 0) return { feature: null, note: `Column "${column}" has no values in these rows, so it was left out.` }
  if (counts.size <= MAX_CATEGORIES) {
    return { feature: { kind: 'categorical', column, categories: [...counts.keys()].sort(compareStrings), other: false } }
  }
  const kept = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]))
    .slice(0, MAX_CATEGORIES)
    .map(([value]) => value)
    .sort(compareStrings)
  return {
    feature: { kind: 'categorical', column, categories: kept, other: true },
    note: `Column "${column}" has ${counts.size} categories; the ${MAX_CATEGORIES} most frequent get their own input and the rest share one "other" input.`,
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000
}
