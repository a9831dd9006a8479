/**
 * CSV text → header and rows of strings, with every way a file can be wrong
 * reported as a NimbleError that names the line. Tokenising is papaparse's job;
 * this file adds the rules Nimble needs: a header row, one field count for all
 * rows, no binary, size limits, and physical line numbers for every row.
 */
import Papa from 'papaparse'
import { NimbleError } from '../protocol'
import { isBlank, lineField } from './cells'
import { detectDelimiter } from './delimiter'

export const DEFAULT_MAX_ROWS = 1_000_000
export const DEFAULT_MAX_COLUMNS = 10_000

export type ParseCsvOptions = {
  /** Most data rows accepted (the header is not counted). */
  maxRows?: number
  /** Most columns accepted. */
  maxColumns?: number
}

export type ParsedCsv = {
  /** Column names, trimmed, unique and non-empty. */
  header: string[]
  /** Data rows as raw strings (not trimmed), each as long as the header. Lines whose cells are all blank are skipped. */
  rows: string[][]
  /** The 1-based line of the file where each row starts (the header is usually line 1), for error messages. */
  lines: number[]
}

export function parseCsv(text: string, opts: ParseCsvOptions = {}): ParsedCsv {
  const maxRows = limit(opts.maxRows, DEFAULT_MAX_ROWS, 'maxRows')
  const maxColumns = limit(opts.maxColumns, DEFAULT_MAX_COLUMNS, 'maxColumns')
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  assertText(body)
  if (body.trim() === '') {
    throw new NimbleError({ code: 'empty_csv', message: 'The CSV file is empty. Upload a file with a header row and at least one data row.' })
  }

  const lineOf = lineCounter(body)
  let header: string[] | null = null
  const rows: string[][] = []
  const lines: number[] = []
  let failure: NimbleError | null = null
  let nextStart = 0

  Papa.parse<string[]>(body, {
    delimiter: detectDelimiter(body),
    skipEmptyLines: false,
    step: (result, parser) => {
      // meta.cursor is the offset just past this row's line break, where the next row starts.
      const start = nextStart
      nextStart = result.meta.cursor
      const newline = result.meta.linebreak === '\r' ? '\r' : '\n'
      const line = lineOf(start, newline)
      const quoteError = result.errors.find((e) => e.type === 'Quotes')
      if (quoteError) {
        const at = typeof quoteError.index === 'number' ? lineOf(quoteError.index, newline) : line
        failure = new NimbleError({
          code: 'invalid_csv',
          message: `Line ${at} has ${quoteError.code === 'MissingQuotes' ? 'a quoted field that is never closed' : 'characters right after a closing quote'}. Close every opening " and write a quote inside a quoted field as "".`,
          field: lineField(at),
        })
        return parser.abort()
      }
      const row = result.data
      if (row.every((cell) => isBlank(cell))) return
      if (header === null) {
        failure = checkHeader(row, maxColumns, line)
        if (failure) return parser.abort()
        header = row.map((name) => name.trim())
        return
      }
      if (row.length !== header.length) {
        failure = new NimbleError({
          code: 'invalid_csv',
          message: `Line ${line} has ${row.length} fields but the header has ${header.length}. Every row needs one value per column; quote values that contain the delimiter.`,
          field: lineField(line),
        })
        return parser.abort()
      }
      if (rows.length >= maxRows) {
        failure = new NimbleError({
          code: 'payload_too_large',
          message: `The CSV has more than ${maxRows} data rows, the limit (maxRows). Upload at most ${maxRows} rows, for example a random sample.`,
          field: 'maxRows',
        })
        return parser.abort()
      }
      rows.push(row)
      lines.push(line)
    },
  })

  if (failure) throw failure
  if (header === null || rows.length === 0) {
    throw new NimbleError({ code: 'empty_csv', message: 'The CSV has a header row but no data rows. Add at least one row of values under the header.' })
  }
  return { header, rows, lines }
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1) {
    throw new NimbleError({ code: 'bad_request', message: `${name} must be a positive integer, got ${value}.`, field: name })
  }
  return value
}

function checkHeader(row: string[], maxColumns: number, line: number): NimbleError | null {
  if (row.length > maxColumns) {
    return new NimbleError({
      code: 'payload_too_large',
      message: `The CSV has ${row.length} columns, more than the limit of ${maxColumns} (maxColumns). Drop columns you do not need and upload again.`,
      field: 'maxColumns',
    })
  }
  const names = row.map((name) => name.trim())
  const empty = names.flatMap((name, i) => (name === '' ? [i + 1] : []))
  if (empty.length > 0) {
    return new NimbleError({
      code: 'invalid_csv',
      message: `The header (line ${line}) has no name for column ${empty.join(', ')}. Give every column a name in the first row.`,
      field: `column ${empty[0]}`,
    })
  }
  const seen = new Set<string>()
  const duplicates = new Set<string>()
  for (const name of names) (seen.has(name) ? duplicates : seen).add(name)
  if (duplicates.size > 0) {
    const list = [...duplicates].map((d) => `"${d}"`).join(', ')
    return new NimbleError({
      code: 'invalid_csv',
      message: `The header (line ${line}) repeats the column name ${list}. Column names must be unique; rename the duplicates.`,
      field: [...duplicates][0],
    })
  }
  return null
}

/** Binary files (spreadsheets, images, UTF-16 text) show up as NUL bytes once decoded; refuse them before parsing. */
function assertText(text: string): void {
  const nul = text.indexOf('\u0000')
  if (nul >= 0) {
    const line = lineCounter(text)(nul, '\n')
    throw new NimbleError({
      code: 'invalid_csv',
      message: `The file contains NUL bytes (first on line ${line}), so it is binary data such as an Excel workbook or UTF-16 text, not CSV. Save it as "CSV UTF-8" and upload that.`,
      field: lineField(line),
    })
  }
  const sample = text.slice(0, 8192)
  let control = 0
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i)
    if (c < 32 && c !== 9 && c !== 10 && c !== 13) control++
  }
  if (control > 8 && control > sample.length / 100) {
    throw new NimbleError({
      code: 'invalid_csv',
      message: 'The file is full of control characters, so it is binary data, not CSV text. Save it as "CSV UTF-8" and upload that.',
    })
  }
}

/** Line number (1-based) of a character offset; cheap when offsets only grow, as they do while parsing. */
function lineCounter(text: string): (offset: number, newline: string) => number {
  let at = 0
  let count = 0
  return (offset, newline) => {
    if (offset < at) {
      at = 0
      count = 0
    }
    for (let i = text.indexOf(newline, at); i !== -1 && i < offset; i = text.indexOf(newline, i + 1)) count++
    at = offset
    return count + 1
  }
}
