/**
 * Encodes rows with a fitted Preprocessing into the model's input matrix x
 * (rows × inputSize, row-major) and, for training, the targets y: one-hot
 * (rows × classes) for classification, the standardised target (rows × 1) for
 * regression. Columns are matched by header name, so a prediction CSV may
 * order them differently or carry extra columns.
 *
 * Missing numeric cells become the training mean (0 after scaling), missing
 * booleans the training share of true, missing categories all zeros. A category
 * never seen in training is all zeros too, or the "other" input when the column
 * has one; text is a hashed bag of words, so unseen words only land in buckets. Anything else unexpected is an error naming the column and line.
 */
import { NimbleError } from '../protocol'
import { isBlank, isNumericMissing, lineField, listNames, parseBoolean, parseNumber, quoteValue } from './cells'
import { nonNumeric, notBoolean } from './errors'
import { featureWidth, type FeatureSpec, type Preprocessing } from './preprocessing'
import { targetKey } from './target'
import { encodeText } from './text'

export type TransformRowsOptions = {
  /** Training and evaluation need the target in every row; prediction does not read it. */
  requireTarget: boolean
  /** The file line of each row (ParsedCsv.lines), for error messages; defaults to row index + 2. */
  lines?: ArrayLike<number>
}

export type TransformedRows = {
  /** rows × prep.inputSize, row-major. */
  x: Float32Array
  /** Classification: rows × prep.classes.length one-hot; regression: rows × 1, (target − mean) / std. Null when the target was not required. */
  y: Float32Array | null
  /** The class index of each row (what y encodes); null for regression and when the target was not required. Handy for stratified splits. */
  labels: Int32Array | null
  rows: number
}

/** Writes one cell's encoding at x[at…]; x starts zeroed. */
type Encoder = (x: Float32Array, at: number, cell: string | undefined, line: number) => void

export function transformRows(
  prep: Preprocessing,
  header: string[],
  rows: string[][],
  opts: TransformRowsOptions,
): TransformedRows {
  const lineOf = (i: number) => opts.lines?.[i] ?? i + 2
  const index = columnIndex(header)
  const needed = prep.features.map((f) => f.column).concat(opts.requireTarget ? [prep.target] : [])
  const absent = needed.filter((name) => !index.has(name))
  if (absent.length > 0) {
    throw new NimbleError({
      code: 'unknown_column',
      message: `The CSV has no column ${listNames(absent)}, which the model ${absent[0] === prep.target ? 'is trained to predict' : 'needs as input'}. Add it with the same name (order does not matter).`,
      field: absent[0],
    })
  }

  const columns = prep.features.map((f) => index.get(f.column)!)
  const encoders = prep.features.map(encoderFor)
  const offsets: number[] = []
  prep.features.reduce((at, f) => (offsets.push(at), at + featureWidth(f)), 0)

  const n = rows.length
  const width = prep.inputSize
  const x = new Float32Array(n * width)
  const regression = prep.task === 'regression'
  const classCount = prep.classes.length
  const y = opts.requireTarget ? new Float32Array(regression ? n : n * classCount) : null
  const labels = opts.requireTarget && !regression ? new Int32Array(n) : null
  const classIndex = new Map(prep.classes.map((c, k) => [c, k]))
  const targetColumn = index.get(prep.target) ?? -1

  for (let i = 0; i < n; i++) {
    const row = rows[i]!
    const line = lineOf(i)
    if (row.length !== header.length) {
      throw new NimbleError({
        code: 'invalid_csv',
        message: `Line ${line} has ${row.length} fields but the header has ${header.length}. Every row needs one value per column.`,
        field: lineField(line),
      })
    }
    for (let f = 0; f < encoders.length; f++) encoders[f]!(x, i * width + offsets[f]!, row[columns[f]!], line)
    if (y && regression) y[i] = scaledTarget(prep, row[targetColumn], line)
    else if (y && labels) {
      const k = classOf(prep, classIndex, row[targetColumn], line)
      labels[i] = k
      y[i * classCount + k] = 1
    }
  }
  return { x, y, labels, rows: n }
}

function columnIndex(header: string[]): Map<string, number> {
  const index = new Map<string, number>()
  header.forEach((name, j) => {
    if (index.has(name)) {
      throw new NimbleError({ code: 'invalid_csv', message: `The header repeats the column name "${name}". Column names must be unique; rename the duplicates.`, field: name })
    }
    index.set(name, j)
  })
  return index
}

function encoderFor(feature: FeatureSpec): Encoder {
  switch (feature.kind) {
    case 'numeric': {
      const { column, mean, std } = feature
      return (x, at, cell, line) => {
        const v = parseNumber(cell)
        if (v !== null) x[at] = (v - mean) / std
        else if (!isNumericMissing(cell)) throw nonNumeric(column, cell!, line)
      }
    }
    case 'boolean': {
      const { column, fill } = feature
      return (x, at, cell, line) => {
        if (isBlank(cell)) {
          x[at] = fill
          return
        }
        const b = parseBoolean(cell)
        if (b === null) throw notBoolean(column, cell!, line)
        x[at] = b ? 1 : 0
      }
    }
    case 'categorical': {
      const slots = new Map(feature.categories.map((c, k) => [c, k]))
      const other = feature.other ? feature.categories.length : -1
      return (x, at, cell) => {
        if (isBlank(cell)) return
        const k = slots.get(cell!.trim()) ?? other
        if (k >= 0) x[at + k] = 1
      }
    }
    case 'text': {
      const { buckets, weighting, idf } = feature
      return (x, at, cell) => encodeText(x, at, cell, buckets, weighting, idf)
    }
  }
}

function scaledTarget(prep: Preprocessing, cell: string | undefined, line: number): number {
  const v = parseNumber(cell)
  if (v === null) {
    if (isNumericMissing(cell)) throw missingTarget(prep, line)
    throw nonNumeric(prep.target, cell!, line)
  }
  return (v - prep.targetMean!) / prep.targetStd!
}

function missingTarget(prep: Preprocessing, line: number): NimbleError {
  return new NimbleError({
    code: 'invalid_csv',
    message: `Line ${line} has no value in the target column "${prep.target}". Fill it in or remove the row (dropMissingTarget does that before training).`,
    field: prep.target,
  })
}

function classOf(prep: Preprocessing, classIndex: Map<string, number>, cell: string | undefined, line: number): number {
  const key = targetKey(prep.targetType, cell)
  if (key === null) throw missingTarget(prep, line)
  const k = key === undefined ? undefined : classIndex.get(key)
  if (k === undefined) {
    throw new NimbleError({
      code: 'invalid_csv',
      message: `Line ${line} has ${quoteValue(cell!)} in the target column "${prep.target}", which is not one of the model's classes (${listNames(prep.classes, 10)}). Fix the value or remove the row.`,
      field: prep.target,
    })
  }
  return k
}
