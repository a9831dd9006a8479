import { describe, expect, test } from 'vitest'
import { inferColumns } from './infer'
import { fitPreprocessing } from './preprocess'
import { looksLikeFreeText } from './roles'
import { expectNimble } from './test-helpers'
import { transformRows } from './transform'

const header = ['id', 'plan', 'review', 'zip', 'score', 'churn']
const reviews = ['slow app and billing problems every month', 'great support, love it', 'cancel my plan please now', 'price is too high for what it does']
const rows = Array.from({ length: 40 }, (_, i) => [
  `C${1000 + i}`,
  ['basic', 'pro'][i % 2]!,
  `${reviews[i % 4]} (ticket ${i})`,
  String(10000 + (i % 5)),
  String(i % 7),
  i % 3 === 0 ? 'yes' : 'no',
])
const columns = inferColumns(header, rows)
const fit = (overrides: Record<string, 'numeric' | 'categorical' | 'boolean' | 'text' | 'ignore'>) => fitPreprocessing(header, rows, columns, 'churn', { overrides, text: { features: 32 } })
const kinds = (p: ReturnType<typeof fit>) => Object.fromEntries(p.features.map((f) => [f.column, f.kind]))

describe('column overrides', () => {
  test('by default the id is left out as an identifier and the review becomes text', () => {
    const p = fit({})
    expect(kinds(p)).toEqual({ plan: 'categorical', review: 'text', zip: 'numeric', score: 'numeric' })
    expect(p.notes.some((n) => n.includes('"id"') && n.includes('identifier') && n.includes('left out'))).toBe(true)
  })

  test('ignore drops a column, categorical one-hots a numeric code, text a short label column', () => {
    const p = fit({ review: 'ignore', zip: 'categorical', id: 'text' })
    expect(kinds(p)).toEqual({ id: 'text', plan: 'categorical', zip: 'categorical', score: 'numeric' })
    const zip = p.features.find((f) => f.column === 'zip')!
    expect(zip.kind === 'categorical' && zip.categories).toEqual(['10000', '10001', '10002', '10003', '10004'])
    expect(p.notes.some((n) => n.includes('"review"') && n.includes('ignore'))).toBe(true)
  })

  test('a text column can be made categorical (with an "other" input past 100 values)', () => {
    const p = fit({ review: 'categorical' })
    const review = p.features.find((f) => f.column === 'review')!
    expect(review.kind === 'categorical' && review.categories.length).toBe(40)
  })

  test('an override naming no column is unknown_column naming it', () => {
    const e = expectNimble(() => fit({ nope: 'ignore' }), 'unknown_column', 'nope')
    expect(e.message).toContain('"nope"')
  })

  test('a word in a column overridden to numeric is non_numeric_value naming column and line', () => {
    const e = expectNimble(() => fit({ plan: 'numeric' }), 'non_numeric_value', 'plan')
    expect(e.message).toMatch(/^Line 2 has "basic"/)
    // Fitted on rows 2.. only, the bad cell surfaces at transform with its own line.
    const mixed = rows.map((r, i) => [...r.slice(0, 3), i === 0 ? 'n/a!' : r[3]!, ...r.slice(4)])
    const p = fitPreprocessing(header, mixed, inferColumns(header, mixed), 'churn', { overrides: { zip: 'numeric' }, fitRows: [1, 2, 3, 4, 5], lines: mixed.map((_, i) => i + 10) })
    expectNimble(() => transformRows(p, header, mixed, { requireTarget: true, lines: mixed.map((_, i) => i + 10) }), 'non_numeric_value', 'zip')
  })

  test('a column overridden to boolean must hold yes/no values', () => {
    expectNimble(() => fit({ plan: 'boolean' }), 'invalid_csv', 'plan')
  })

  test('the target can be overridden: ignore and text are refused, categorical makes numbers classes', () => {
    expectNimble(() => fit({ churn: 'ignore' }), 'invalid_body', 'churn')
    expectNimble(() => fit({ churn: 'text' }), 'invalid_body', 'churn')
    const many = Array.from({ length: 120 }, (_, i) => [String(i % 4), String(i)])
    const asClasses = fitPreprocessing(['a', 'n'], many, inferColumns(['a', 'n'], many), 'n', { overrides: { n: 'categorical' } })
    expect(asClasses.task).toBe('classification')
    expect(asClasses.classes).toHaveLength(120)
  })

  test('the old ignore option still works', () => {
    expect(kinds(fitPreprocessing(header, rows, columns, 'churn', { ignore: ['review', 'zip'] }))).toEqual({ plan: 'categorical', score: 'numeric' })
  })
})

test('free text vs identifiers: long cells or several words are text; short unique codes are not', () => {
  const col = (cells: string[]) => looksLikeFreeText(cells.map((c) => [c]), 0)
  expect(col(['user1@example.com', 'user2@example.com'])).toBe(false)
  expect(col(['John Smith', 'Ann Lee'])).toBe(false)
  expect(col(['the app crashes when I pay', 'love it so much'])).toBe(true)
  expect(col(['x'.repeat(31), 'y'.repeat(40)])).toBe(true)
  expect(col(['', ' '])).toBe(false)
})
