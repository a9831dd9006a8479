import { describe, expect, test } from 'vitest'
import type { ColumnInfo } from '../protocol'
import { inferColumns } from './infer'
import { createRng } from './rng'

/** 200 rows of a realistic customer table, generated from a seed. */
function customers(): { header: string[]; rows: string[][] } {
  const rng = createRng(7)
  const plans = ['basic', 'plus', 'pro', 'enterprise']
  const words = ['slow', 'support', 'great', 'billing', 'cancel', 'price', 'app', 'crashes', 'love', 'it']
  const header = ['id', 'email', 'age', 'plan', 'active', 'churned01', 'score', 'note', 'unused', 'city']
  const rows = Array.from({ length: 200 }, (_, i) => {
    const sentence = Array.from({ length: 8 + Math.floor(rng() * 8) }, () => words[Math.floor(rng() * words.length)]).join(' ')
    return [
      String(1000 + i),
      `user${i}@example.com`,
      i % 17 === 0 ? '' : i % 23 === 0 ? 'NA' : String(18 + Math.floor(rng() * 60)),
      plans[Math.floor(rng() * plans.length)]!,
      i % 31 === 0 ? '' : rng() < 0.5 ? 'Yes' : 'no',
      rng() < 0.3 ? '1' : '0',
      [' 3 ', '1e3', '-0.5', '2.25', '.5'][i % 5]!,
      sentence,
      '',
      `city${Math.floor(rng() * 60)}`,
    ]
  })
  return { header, rows }
}

function byName(columns: ColumnInfo[]): Record<string, ColumnInfo> {
  return Object.fromEntries(columns.map((c) => [c.name, c]))
}

describe('inferColumns', () => {
  const { header, rows } = customers()
  const columns = byName(inferColumns(header, rows))

  test('types a realistic mixed table', () => {
    expect(Object.fromEntries(Object.values(columns).map((c) => [c.name, c.type]))).toEqual({
      id: 'numeric',
      email: 'text',
      age: 'numeric',
      plan: 'categorical',
      active: 'boolean',
      churned01: 'numeric',
      score: 'numeric',
      note: 'text',
      unused: 'empty',
      city: 'categorical',
    })
  })

  test('counts missing cells, including NA in numeric columns', () => {
    const blanks = rows.filter((_, i) => i % 17 === 0).length
    const nas = rows.filter((_, i) => i % 17 !== 0 && i % 23 === 0).length
    expect(columns.age!.missing).toBe(blanks + nas)
    expect(columns.active!.missing).toBe(rows.filter((_, i) => i % 31 === 0).length)
    expect(columns.unused!.missing).toBe(200)
    expect(columns.plan!.missing).toBe(0)
  })

  test('counts distinct values by meaning', () => {
    expect(columns.plan!.distinct).toBe(4)
    expect(columns.active!.distinct).toBe(2) // Yes and no, whatever the case
    expect(columns.score!.distinct).toBe(5)
    expect(columns.id!.distinct).toBe(200)
    expect(columns.unused!.distinct).toBe(0)
  })

  test('0/1 is numeric, true/false/t/f is boolean, a stray word makes it categorical', () => {
    const c = inferColumns(['a', 'b', 'c'], [['0', 'T', 'yes'], ['1', 'false', 'maybe'], ['1', 'TRUE', 'no']])
    expect(c.map((x) => x.type)).toEqual(['numeric', 'boolean', 'categorical'])
  })

  test('numbers reject hex, Infinity and thousands separators', () => {
    for (const odd of ['0x1A', 'Infinity', '1,000', '1e999', '12abc']) {
      const [info] = inferColumns(['v'], [['1'], ['2'], [odd]])
      expect(info!.type, odd).toBe('categorical')
    }
  })

  test('a column of only NA is not numeric', () => {
    const [info] = inferColumns(['v'], [['NA'], ['NA'], ['']])
    expect(info).toEqual({ name: 'v', type: 'categorical', missing: 1, distinct: 1 })
  })

  test('caps distinct at 1000 and calls unique identifiers text', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => [`C-${i}`, `g${i % 40}`])
    const [ids, groups] = inferColumns(['ref', 'group'], rows)
    expect(ids).toMatchObject({ type: 'text', distinct: 1000 })
    expect(groups).toMatchObject({ type: 'categorical', distinct: 40 })
  })

  test('short values repeated often are categorical even with many of them', () => {
    // 300 distinct over 2000 rows: above 5% but values repeat.
    const rows = Array.from({ length: 2000 }, (_, i) => [`zip${i % 300}`])
    expect(inferColumns(['zip'], rows)[0]!.type).toBe('categorical')
  })
})

test('a small all-unique column is an identifier (text), a small repeated one categorical', () => {
  const rows = Array.from({ length: 12 }, (_, i) => [`ID-${i}`, ['a', 'b', 'c'][i % 3]!])
  expect(inferColumns(['id', 'g'], rows).map((c) => c.type)).toEqual(['text', 'categorical'])
})
