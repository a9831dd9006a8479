/** Regression on real data: cars' Miles_per_Gallon, with rows missing the target dropped first. */
import { describe, expect, test } from 'vitest'
import { carsCsv } from '../../server/testing/datasets'
import { parseCsv } from './csv'
import { dropMissingTarget } from './drop-missing'
import { inferColumns } from './infer'
import { fitPreprocessing } from './preprocess'
import { Preprocessing, unscaleTarget } from './preprocessing'
import { splitRows } from './split'
import { expectNimble } from './test-helpers'
import { transformRows } from './transform'

describe('cars: miles per gallon', () => {
  const data = carsCsv()
  const csv = parseCsv(data.train)
  const kept = dropMissingTarget(csv.header, csv.rows, 'Miles_per_Gallon', csv.lines)
  const columns = inferColumns(csv.header, kept.rows)
  const split = splitRows(kept.rows.length, { validation: 0.2, test: 0.1, seed: 5 })
  const prep = fitPreprocessing(csv.header, kept.rows, columns, 'Miles_per_Gallon', { lines: kept.lines, task: 'regression', fitRows: split.train })
  const out = transformRows(prep, csv.header, kept.rows, { requireTarget: true, lines: kept.lines })

  test('dropMissingTarget removes the 8 cars without a mileage and keeps their lines right', () => {
    expect(kept.dropped).toBe(8)
    expect(kept.rows.length).toBe(csv.rows.length - 8)
    const j = csv.header.indexOf('Miles_per_Gallon')
    expect(kept.rows.every((r) => r[j] !== '')).toBe(true)
    kept.rows.forEach((r, i) => expect(csv.rows[csv.lines.indexOf(kept.lines[i]!)]).toBe(r))
  })

  test('regression: no classes, one standardised output, no labels', () => {
    expect(prep.task).toBe('regression')
    expect(prep.classes).toEqual([])
    expect(prep.targetType).toBe('numeric')
    expect(out.labels).toBeNull()
    expect(out.y).toHaveLength(out.rows)
    const train = Array.from(split.train, (i) => out.y![i]!)
    const mean = train.reduce((a, b) => a + b, 0) / train.length
    expect(mean).toBeCloseTo(0, 5)
    expect(train.reduce((a, b) => a + (b - mean) ** 2, 0) / train.length).toBeCloseTo(1, 4)
  })

  test('unscaleTarget turns outputs back into miles per gallon', () => {
    const j = csv.header.indexOf('Miles_per_Gallon')
    for (const i of [0, 17, 200]) expect(unscaleTarget(prep, out.y![i]!)).toBeCloseTo(Number(kept.rows[i]![j]), 4)
  })

  test('missing Horsepower is imputed and noted; the Name identifier is left out', () => {
    expect(prep.notes.some((n) => n.includes('"Horsepower"') && n.includes('mean'))).toBe(true)
    expect(prep.features.map((f) => f.column)).not.toContain('Name')
  })

  test('survives JSON; held-out cars transform without the target', () => {
    const stored = Preprocessing.parse(JSON.parse(JSON.stringify(prep)))
    expect(stored.targetMean).toBe(prep.targetMean)
    const hold = parseCsv(data.holdout)
    const { x, y } = transformRows(stored, hold.header, hold.rows, { requireTarget: false })
    expect(y).toBeNull()
    expect(x.length).toBe(data.holdoutValues.length * prep.inputSize)
  })

  test('a missing target at training is an error naming the line', () => {
    const e = expectNimble(() => transformRows(prep, csv.header, csv.rows, { requireTarget: true, lines: csv.lines }), 'invalid_csv', 'Miles_per_Gallon')
    expect(e.message).toMatch(/^Line \d+ has no value in the target/)
  })

  test('without a task, a numeric target with many values is inferred as regression', () => {
    const inferred = fitPreprocessing(csv.header, kept.rows, columns, 'Miles_per_Gallon')
    expect(inferred.task).toBe('regression')
  })

  test('regression of a non-numeric target is refused; a word in it names the line', () => {
    expectNimble(() => fitPreprocessing(csv.header, kept.rows, columns, 'Origin', { task: 'regression' }), 'invalid_body', 'Origin')
    const rows = kept.rows.map((r) => [...r])
    rows[3]![csv.header.indexOf('Miles_per_Gallon')] = 'lots'
    const e = expectNimble(() => fitPreprocessing(csv.header, rows, columns, 'Miles_per_Gallon', { task: 'regression', lines: kept.lines }), 'non_numeric_value', 'Miles_per_Gallon')
    expect(e.message).toContain(`Line ${kept.lines[3]}`)
  })
})

test('a constant target cannot be a regression', () => {
  const rows = Array.from({ length: 10 }, (_, i) => [String(i), '5'])
  expectNimble(() => fitPreprocessing(['a', 'y'], rows, inferColumns(['a', 'y'], rows), 'y', { task: 'regression' }), 'invalid_body', 'y')
})

test('a preprocessing stored before regression existed still parses, as a classifier', () => {
  const old = { version: 1, features: [{ kind: 'numeric', column: 'a', mean: 0, std: 1 }], inputSize: 1, target: 'y', targetType: 'categorical', classes: ['a', 'b'], notes: [] }
  expect(Preprocessing.parse(old).task).toBe('classification')
  expect(Preprocessing.safeParse({ ...old, task: 'regression' }).success).toBe(false)
  expect(Preprocessing.safeParse({ ...old, classes: ['a'] }).success).toBe(false)
})

test('dropMissingTarget: NA counts as missing in a numeric target but is a class among words', () => {
  const numeric = dropMissingTarget(['y'], [['1'], ['NA'], [' '], ['2']], 'y')
  expect(numeric).toEqual({ rows: [['1'], ['2']], lines: [2, 5], dropped: 2 })
  expect(dropMissingTarget(['y'], [['NA'], ['EU'], ['']], 'y').dropped).toBe(1)
  expectNimble(() => dropMissingTarget(['y'], [['1']], 'z'), 'unknown_column', 'z')
})
