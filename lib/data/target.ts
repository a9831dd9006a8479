/**
 * The column to predict: check it can be a classification target and list its
 * classes. Fitting and transforming both turn target cells into class keys here,
 * so "1.0" in a numeric target is class "1" at training and at prediction alike.
 */
import { NimbleError, type ColumnInfo } from '../protocol'
import { compareStrings, isBlank, isNumericMissing, listNames, parseNumber, quoteValue } from './cells'
import type { TargetType } from './preprocessing'

export const MAX_CLASSES = 1000
/** A numeric target with more distinct values than this looks like a quantity (regression), not classes. */
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

export type FittedTarget = { targetType: TargetType; classes: string[]; notes: string[] }

export function fitTarget(
  header: string[],
  rows: string[][],
  columns: ColumnInfo[],
  target: string,
  lineOf: (i: number) => number,
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
  if (info.type === 'empty' || info.type === 'text') {
    const why = info.type === 'empty' ? 'is empty' : `holds free text (${info.distinct}${info.distinct >= 1000 ? '+' : ''} distinct values)`
    throw invalidTarget(target, `The column "${target}" ${why}, so it cannot be predicted. Pick a column whose values are classes, such as "yes"/"no" or a few categories.`)
  }
  const targetType: TargetType = info.type
  const counts = new Map<string, number>()
  let missing = 0
  for (let i = 0; i < rows.length; i++) {
    const key = targetKey(targetType, rows[i]![j])
    if (key === undefined) {
      throw new NimbleError({
        code: 'non_numeric_value',
        message: `Line ${lineOf(i)} has ${quoteValue(rows[i]![j]!)} in the numeric target column "${target}". Fix or remove that value.`,
        field: target,
      })
    }
    if (key === null) missing++
    else counts.set(key, (counts.get(key) ?? 0) + 1)
    if (counts.size > MAX_CLASSES) break
  }
  if (counts.size > MAX_CLASSES) {
    throw invalidTarget(target, `The column "${target}" has more than ${MAX_CLASSES} different values; Nimble trains classifiers with at most ${MAX_CLASSES} classes. Pick a column with fewer categories or group rare ones.`)
  }
  if (targetType === 'numeric' && counts.size > MAX_NUMERIC_CLASSES) {
    throw invalidTarget(target, `The column "${target}" has ${counts.size} different numbers, so it looks like a quantity to estimate (regression), which Nimble does not train yet. Pick a column with classes, or bin the numbers into a few ranges.`)
  }
  if (counts.size < 2) {
    const only = counts.size === 1 ? `only one value, "${[...counts.keys()][0]}"` : 'no values'
    throw invalidTarget(target, `The column "${target}" has ${only}; a classifier needs at least two classes to tell apart. Pick another column or add rows of the other classes.`)
  }
  const classes = [...counts.keys()].sort(targetType === 'numeric' ? (a, b) => Number(a) - Number(b) : compareStrings)
  const notes = missing > 0 ? [`${missing} rows have no value in the target "${target}"; they cannot be used for training.`] : []
  return { targetType, classes, notes }
}

function invalidTarget(target: string, message: string): NimbleError {
  return new NimbleError({ code: 'invalid_body', message, field: target })
}

