/**
 * Fits the preprocessing of a tabular dataset: which columns feed the model and
 * how each is encoded (numeric standardised, boolean 0/1, categorical one-hot,
 * free text a hashed bag of words), plus the target (classes, or mean and std for
 * regression). Statistics come from `fitRows` only, the training rows, so nothing
 * leaks from validation or test rows. The result is plain JSON, stored with the
 * model, so prediction encodes new rows exactly as training did (see transform.ts).
 */
import { NimbleError, type ColumnInfo, type ColumnRole, type TaskType } from '../protocol'
import { compareStrings, isBlank, isNumericMissing, listNames, parseBoolean, parseNumber } from './cells'
import { featureWidth, Preprocessing, type FeatureSpec, type TextWeighting } from './preprocessing'
import { nonNumeric, notBoolean } from './errors'
import { checkOverrides, columnRole, type Role } from './roles'
import { fitTarget } from './target'
import { DEFAULT_TEXT_FEATURES, DEFAULT_TEXT_WEIGHTING, fitIdf } from './text'

export { transformRows } from './transform'

/** A categorical column keeps its most frequent values up to this many; the rest share one "other" input. */
export const MAX_CATEGORIES = 100
export const MAX_TEXT_FEATURES = 1 << 20

export type TextOptions = {
  /** Hash buckets per text column (default 1024). */
  features?: number
  weighting?: TextWeighting
}

export type FitPreprocessingOptions = {
  /** Columns to leave out of the features (the same as overriding them to 'ignore'). */
  ignore?: string[]
  /** The file line of each row (ParsedCsv.lines), for error messages; defaults to row index + 2. */
  lines?: ArrayLike<number>
  /** The owner's per-column types, over the inferred ones; 'ignore' leaves a column out. */
  overrides?: Record<string, ColumnRole>
  text?: TextOptions
  /** Classification or regression; inferred from the target when absent. */
  task?: TaskType
  /**
   * Row indices (the training rows) to fit statistics on: means, stds, categories, idf, the
   * regression target's mean and std. All rows when absent. Classes always come from all rows.
   */
  fitRows?: ArrayLike<number>
}

type Fitted = { feature: FeatureSpec | null; note?: string }
type Fit = { rows: string[][]; j: number; idx: ArrayLike<number>; lineOf: (i: number) => number }

export function fitPreprocessing(
  header: string[],
  rows: string[][],
  columns: ColumnInfo[],
  target: string,
  opts: FitPreprocessingOptions = {},
): Preprocessing {
  const lineOf = (i: number) => opts.lines?.[i] ?? i + 2
  checkOverrides(header, opts.overrides)
  for (const name of opts.ignore ?? []) {
    if (!header.includes(name)) {
      throw new NimbleError({ code: 'unknown_column', message: `Cannot ignore "${name}": there is no such column. The columns are: ${listNames(header)}.`, field: name })
    }
  }
  const idx = fitRowIndices(rows.length, opts.fitRows)
  const text = textOptions(opts.text)
  const overrides: Record<string, ColumnRole> = { ...opts.overrides }
  for (const name of opts.ignore ?? []) if (name !== target) overrides[name] = 'ignore'

  const fittedTarget = fitTarget(header, rows, columns, target, lineOf, { task: opts.task, override: overrides[target], fitRows: opts.fitRows ? idx : undefined })
  const features: FeatureSpec[] = []
  const notes = [...fittedTarget.notes]
  header.forEach((name, j) => {
    if (name === target) return
    const info = columns.find((c) => c.name === name)
    if (!info) {
      throw new NimbleError({ code: 'unknown_column', message: `No column type was inferred for "${name}"; run inferColumns on the same header.`, field: name })
    }
    const role = columnRole(info, Object.hasOwn(overrides, name) ? overrides[name] : undefined, rows, j)
    const fitted = fitColumn(role, info, { rows, j, idx, lineOf }, text)
    if (fitted.feature) features.push(fitted.feature)
    if (fitted.note) notes.push(fitted.note)
  })
  if (features.length === 0) {
    throw new NimbleError({
      code: 'invalid_csv',
      message: `No column is left to learn from besides the target "${target}" (empty, identifier and ignored columns are left out). Add numeric, yes/no, category or text columns, or change the column settings.`,
    })
  }
  const inputSize = features.reduce((sum, f) => sum + featureWidth(f), 0)
  return Preprocessing.parse({ version: 1, features, inputSize, target, ...fittedTarget, notes })
}

function fitColumn(role: Role, info: ColumnInfo, fit: Fit, text: Required<TextOptions>): Fitted {
  const name = info.name
  switch (role) {
    case 'ignore':
      return { feature: null, note: `Column "${name}" is set to ignore, so it was left out.` }
    case 'empty':
      return { feature: null, note: `Column "${name}" is empty, so it was left out.` }
    case 'identifier':
      return {
        feature: null,
        note: `Column "${name}" looks like an identifier (${info.distinct}${info.distinct >= 1000 ? '+' : ''} distinct short values), so it was left out. Set it to categorical or text to use it.`,
      }
    case 'text':
      return fitText(name, fit, text)
    case 'numeric':
      return fitNumeric(name, fit)
    case 'boolean':
      return fitBoolean(name, fit)
    case 'categorical':
      return fitCategorical(name, fit)
  }
}

function fitNumeric(column: string, { rows, j, idx, lineOf }: Fit): Fitted {
  // Welford's running mean and variance: one pass, no overflow from summing squares.
  let count = 0
  let mean = 0
  let m2 = 0
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!
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
  const missing = countMissing(rows, j, isNumericMissing)
  const note = missing > 0 ? `Filled ${missing} missing values of "${column}" with its mean, ${round(mean)}.` : undefined
  return { feature: { kind: 'numeric', column, mean, std }, note }
}

function fitBoolean(column: string, { rows, j, idx, lineOf }: Fit): Fitted {
  let trues = 0
  let count = 0
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!
    const cell = rows[i]![j]
    if (isBlank(cell)) continue
    const b = parseBoolean(cell)
    if (b === null) throw notBoolean(column, cell!, lineOf(i))
    count++
    if (b) trues++
  }
  if (count === 0) return { feature: null, note: `Column "${column}" has no values in these rows, so it was left out.` }
  const fill = trues / count
  const missing = countMissing(rows, j, isBlank)
  const note = missing > 0 ? `Filled ${missing} missing values of "${column}" with the share of true values, ${round(fill)}.` : undefined
  return { feature: { kind: 'boolean', column, fill }, note }
}

function fitCategorical(column: string, { rows, j, idx }: Fit): Fitted {
  const counts = new Map<string, number>()
  for (let k = 0; k < idx.length; k++) {
    const cell = rows[idx[k]!]![j]
    if (isBlank(cell)) continue
    const key = cell!.trim()
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  if (counts.size === 0) return { feature: null, note: `Column "${column}" has no values in these rows, so it was left out.` }
  const missing = countMissing(rows, j, isBlank)
  const missingNote = missing > 0 ? `${missing} missing values of "${column}" get all zeros.` : ''
  if (counts.size <= MAX_CATEGORIES) {
    return { feature: { kind: 'categorical', column, categories: [...counts.keys()].sort(compareStrings), other: false }, note: missingNote || undefined }
  }
  const kept = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]))
    .slice(0, MAX_CATEGORIES)
    .map(([value]) => value)
    .sort(compareStrings)
  return {
    feature: { kind: 'categorical', column, categories: kept, other: true },
    note: `Column "${column}" has ${counts.size} categories; the ${MAX_CATEGORIES} most frequent get their own input and the rest share one "other" input.${missingNote ? ` ${missingNote}` : ''}`,
  }
}

function fitText(column: string, { rows, j, idx }: Fit, text: Required<TextOptions>): Fitted {
  const cells = (function* () {
    for (let k = 0; k < idx.length; k++) yield rows[idx[k]!]![j]
  })()
  const { idf, withTokens } = fitIdf(cells, text.features)
  if (withTokens === 0) return { feature: null, note: `Column "${column}" has no words in these rows, so it was left out.` }
  const weighting = text.weighting
  return {
    feature: { kind: 'text', column, buckets: text.features, weighting, ...(weighting === 'tfidf' ? { idf } : {}) },
    note: `Column "${column}" is free text: it became a hashed bag of words over ${text.features} inputs, weighted by ${weighting === 'tfidf' ? 'tf-idf' : weighting === 'count' ? 'log counts' : 'presence'}.`,
  }
}

function fitRowIndices(n: number, fitRows: ArrayLike<number> | undefined): ArrayLike<number> {
  if (!fitRows) {
    const all = new Uint32Array(n)
    for (let i = 0; i < n; i++) all[i] = i
    return all
  }
  if (fitRows.length === 0) {
    throw new NimbleError({ code: 'bad_request', message: 'fitRows is empty: give the indices of the training rows to fit the preprocessing on.', field: 'fitRows' })
  }
  for (let k = 0; k < fitRows.length; k++) {
    const i = fitRows[k]!
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new NimbleError({ code: 'bad_request', message: `fitRows holds ${i}, which is not a row index of this ${n}-row table.`, field: 'fitRows' })
    }
  }
  return fitRows
}

function textOptions(opts: TextOptions | undefined): Required<TextOptions> {
  const features = opts?.features ?? DEFAULT_TEXT_FEATURES
  if (!Number.isInteger(features) || features < 1 || features > MAX_TEXT_FEATURES) {
    throw new NimbleError({ code: 'bad_request', message: `text.features must be an integer from 1 to ${MAX_TEXT_FEATURES}, got ${features}.`, field: 'text.features' })
  }
  return { features, weighting: opts?.weighting ?? DEFAULT_TEXT_WEIGHTING }
}

function countMissing(rows: string[][], j: number, isMissing: (cell: string | undefined) => boolean): number {
  let missing = 0
  for (const row of rows) if (isMissing(row[j])) missing++
  return missing
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000
}
