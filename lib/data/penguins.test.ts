/** Real messy table: Palmer penguins, with empty cells and a "." for sex, numeric and categorical columns. */
import { describe, expect, test } from 'vitest'
import { penguinsCsv } from '../../server/testing/datasets'
import { classWeights } from './class-weights'
import { parseCsv } from './csv'
import { inferColumns } from './infer'
import { fitPreprocessing } from './preprocess'
import { splitRows } from './split'
import { expectNimble } from './test-helpers'
import { transformRows } from './transform'

describe('penguins: species from measurements, island and sex', () => {
  const data = penguinsCsv()
  const csv = parseCsv(data.train)
  const columns = inferColumns(csv.header, csv.rows)
  const prep = fitPreprocessing(csv.header, csv.rows, columns, 'Species', { lines: csv.lines })
  const out = transformRows(prep, csv.header, csv.rows, { requireTarget: true, lines: csv.lines })

  test('fits numeric and categorical inputs and three species', () => {
    expect(prep.classes).toEqual(['Adelie', 'Chinstrap', 'Gentoo'])
    expect(prep.features.map((f) => `${f.column}:${f.kind}`)).toEqual([
      'Island:categorical',
      'Beak Length (mm):numeric',
      'Beak Depth (mm):numeric',
      'Flipper Length (mm):numeric',
      'Body Mass (g):numeric',
      'Sex:categorical',
    ])
    expect(out.x.every(Number.isFinite)).toBe(true)
  })

  test('missing values are imputed and reported in the notes', () => {
    expect(prep.notes.some((n) => n.includes('"Body Mass (g)"') && n.includes('mean'))).toBe(true)
    expect(prep.notes.some((n) => n.includes('"Sex"') && n.includes('missing'))).toBe(true)
    const mass = prep.features.findIndex((f) => f.column === 'Body Mass (g)')
    const j = csv.header.indexOf('Body Mass (g)')
    const i = csv.rows.findIndex((r) => r[j] === '')
    expect(i).toBeGreaterThanOrEqual(0)
    expect(out.x[i * prep.inputSize + 3 + mass - 1]).toBe(0) // Island takes 3 inputs, then one per numeric
  })

  test('an island never seen in training becomes all zeros at prediction time; the held-out birds transform', () => {
    const hold = parseCsv(data.holdout)
    const rows = hold.rows.map((r) => [...r])
    rows[0]![hold.header.indexOf('Island')] = 'Atlantis'
    const { x } = transformRows(prep, hold.header, rows, { requireTarget: false })
    expect(Array.from(x.subarray(0, 3))).toEqual([0, 0, 0])
    expect(x.length).toBe(data.holdoutLabels.length * prep.inputSize)
  })

  test('statistics come from fitRows only', () => {
    const split = splitRows(csv.rows.length, { validation: 0.2, test: 0.2, seed: 3, labels: out.labels! })
    const fitted = fitPreprocessing(csv.header, csv.rows, columns, 'Species', { fitRows: split.train })
    const j = csv.header.indexOf('Flipper Length (mm)')
    const values = Array.from(split.train, (i) => csv.rows[i]![j]!).filter((v) => v !== '').map(Number)
    const flipper = fitted.features.find((f) => f.column === 'Flipper Length (mm)')!
    expect(flipper.kind === 'numeric' && flipper.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 8)
    expectNimble(() => fitPreprocessing(csv.header, csv.rows, columns, 'Species', { fitRows: [0, 9999] }), 'bad_request', 'fitRows')
  })

  test('balanced class weights favour the rarest species', () => {
    const weights = classWeights(out.labels!, 3, 'balanced', prep.classes)!
    const counts = [0, 1, 2].map((k) => out.labels!.filter((l) => l === k).length)
    weights.forEach((w, k) => expect(w).toBeCloseTo(out.rows / (3 * counts[k]!), 10))
    expect(weights[1]).toBe(Math.max(...weights)) // Chinstrap is the smallest group
  })
})
