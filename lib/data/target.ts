/**
 * The column to predict: check it can be a target, decide the task and fit it.
 * Classification lists the classes; regression stores the mean and std that
 * standardise the target. Fitting and transforming both turn target cells into
 * keys here, so "1.0" in a numeric target is class "1" at training and at
 * prediction alike.
 */
import { NimbleError, type ColumnInfo, type ColumnRole, type TaskType } from '../protocol'
import { compareStrings, isBlank, isNumericMissing, listNames, parseNumber, quoteValue } from './cells'
import type { TargetType } from './preprocessing'

export const MAX_CLASSES = 1000
/** Without an explicit task, a numeric target with more distinct values than this is a quantity (regression), not classes. */
export const MAX_NUMERIC_CLASSES = 50

/** The class key of a target cell; null for a missing cell; undefined for a numeric target cell that is not a number. */
export function targetKey(type: TargetType, cell: string | undefined): string | null | undefined {
  if (type === 'numeric') {
    if (isNumericMissing(cell)) return null
    const n = parseNumber(cell)
    return n === null ? undefined : String(n)
  }
  return isBlank(cell) ? null : cell!.trim()
}

export type FittedTarget = {
  task: TaskType
  targetType: TargetType
  classes: string[]
  targetMean?: number
  targetStd?: number
  notes: string[]
}

export type FitTargetOptions = {
  /** Explicit task; inferred from the target when absent. */
  task?: TaskType
  /** The owner's override of the target column's type. */
  override?: ColumnRole
  /** Rows whose values fit the regression mean and std; all rows when absent. */
  fitRows?: ArrayLike<number>
}

export function fitTarget(
  header: string[],
  rows: string[][],
  columns: ColumnInfo[],
  target: string,
  lineOf: (i: number) => number,
  opts: FitTargetOptions = {},
): FittedTarget {
  const j = header.indexOf(target)
  const info = columns.find((c) => c.name === target)
  if (j < 0 || !info) {
    throw new NimbleError({
      code: 'unknown_column',
      message: `There is no column "${target}" to predict. The columns are: ${listNames(header)}.`,
      field: target,
    })
  }
  const type = opts.override ?? info.type
  if (type === 'ignore') throw invalidTarget(target, `The column "${target}" is the target, so it cannot be set to ignore. Remove that column setting or pick another target.`)
  if (type === 'empty' || type === 'text') {
    const why = type === 'empty' ? 'is empty' : `holds free text (${info.distinct}${info.distinct >= 1000 ? '+' : ''} distinct values)`
    throw invalidTarget(target, `The column "${target}" ${why}, so it cannot be predicted. Pick a column whose values are classes, such as "yes"/"no" or a few categories, or numbers to estimate.`)
  }
  const targetType: TargetType = type
  if (opts.task === 'regression') {
    if (targetType !== 'numeric') {
      throw invalidTarget(target, `Regression predicts a number, but the column "${target}" is ${targetType}. Pick a numeric column, set the task to classification, or set the column to numeric to find the lines that are not numbers.`)
    }
    return fitRegression(rows, j, target, lineOf, opts.fitRows, [])
  }

  const counts = new Map<string, number>()
  let missing = 0
  for (let i = 0; i < rows.length; i++) {
    const key = targetKey(targetType, rows[i]![j])
    if (key === undefined) throw nonNumericTarget(target, rows[i]![j]!, lineOf(i))
    if (key === null) missing++
    else counts.set(key, (counts.get(key) ?? 0) + 1)
    if (counts.size > MAX_CLASSES) break
  }
  if (opts.task === undefined && targetType === 'numeric' && counts.size > MAX_NUMERIC_CLASSES) {
    const note = `The target "${target}" has more than ${MAX_NUMERIC_CLASSES} different numbers, so it is predicted as a number (regression). Set the task to classification to treat its values as classes.`
    return fitRegression(rows, j, target, lineOf, opts.fitRows, [note])
  }
  if (counts.size > MAX_CLASSES) {
    throw invalidTarget(target, `The column "${target}" has more than ${MAX_CLASSES} different values; Nimble trains classifiers with at most ${MAX_CLASSES} classes. Pick a column with fewer categories, group rare ones, or predict it as a number (regression) if it is one.`)
  }
  if (counts.size < 2) {
    const only = counts.size === 1 ? `only one value, "${[...counts.keys()][0]}"` : 'no values'
    throw invalidTarget(target, `The column "${target}" has ${only}; a classifier needs at least two classes to tell apart. Pick another column or add rows of the other classes.`)
  }
  const classes = [...counts.keys()].sort(targetType === 'numeric' ? (a, b) => Number(a) - Number(b) : compareStrings)
  return { task: 'classification', targetType, classes, notes: missingNote(target, missing) }
}

/** Mean and std of a numeric target over the fit rows; every row is still checked for non-numbers. */
function fitRegression(rows: string[][], j: number, target: string, lineOf: (i: number) => number, fitRows: ArrayLike<number> | undefined, notes: string[]): FittedTarget {
  let missing = 0
  let first: number | null = null
  let varied = false
  for (let i = 0; i < rows.length; i++) {
    const cell = rows[i]![j]
    const v = parseNumber(cell)
    if (v === null) {
      if (!isNumericMissing(cell)) throw nonNumericTarget(target, cell!, lineOf(i))
      missing++
      continue
    }
    if (first === null) first = v
    else if (v !== first) varied = true
  }
  if (!varied) {
    const only = first === null ? 'no numbers' : `only the value ${first}`
    throw invalidTarget(target, `The column "${target}" has ${only}; there is nothing to learn to predict. Pick another column.`)
  }
  let count = 0
  let mean = 0
  let m2 = 0
  const n = fitRows ? fitRows.length : rows.length
  for (let k = 0; k < n; k++) {
    const v = parseNumber(rows[fitRows ? fitRows[k]! : k]![j])
    if (v === null) continue
    count++
    const delta = v - mean
    mean += delta / count
    m2 += delta * (v - mean)
  }
  const sd = count > 0 ? Math.sqrt(m2 / count) : 0
  return {
    task: 'regression',
    targetType: 'numeric',
    classes: [],
    targetMean: count > 0 ? mean : 0,
    targetStd: Number.isFinite(sd) && sd > 0 ? sd : 1,
    notes: [...notes, ...missingNote(target, missing)],
  }
}

function missingNote(target: string, missing: number): string[] {
  return missing > 0 ? [`${missing} rows have no value in the target "${target}"; they cannot be used for training.`] : []
}

function nonNumericTarget(target: string, cell: string, line: number): NimbleError {
  return new NimbleError({
    code: 'non_numeric_value',
    message: `Line ${line} has ${quoteValue(cell)} in the numeric target column "${target}". Fix or remove that value.`,
    field: target,
  })
}

function invalidTarget(target: string, message: string): NimbleError {
  return new NimbleError({ code: 'invalid_body', message, field: target })
}
