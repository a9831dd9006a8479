/**
 * Errors about a single cell, raised the same way whether fitting or transforming,
 * so a bad value reads the same at training and at prediction. `field` is the
 * column; the message names the line.
 */
import { NimbleError } from '../protocol'
import { quoteValue } from './cells'

export function nonNumeric(column: string, cell: string, line: number): NimbleError {
  return new NimbleError({
    code: 'non_numeric_value',
    message: `Line ${line} has ${quoteValue(cell)} in the numeric column "${column}". Use a number there, or leave the cell empty if the value is missing.`,
    field: column,
  })
}

export function notBoolean(column: string, cell: string, line: number): NimbleError {
  return new NimbleError({
    code: 'invalid_csv',
    message: `Line ${line} has ${quoteValue(cell)} in the yes/no column "${column}". Use true/false or yes/no there, or leave the cell empty.`,
    field: column,
  })
}
