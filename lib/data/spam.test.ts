/** Real free text: 1,000 SpamAssassin emails through parse → infer → fit (training rows only) → transform. */
import { describe, expect, test } from 'vitest'
import { spamCsv } from '../../server/testing/datasets'
import { parseCsv } from './csv'
import { inferColumns } from './infer'
import { fitPreprocessing } from './preprocess'
import { Preprocessing } from './preprocessing'
import { splitRows } from './split'
import { transformRows } from './transform'

describe('spam emails as text features', () => {
  const data = spamCsv(1000, 7)
  const csv = parseCsv(data.train)
  const columns = inferColumns(csv.header, csv.rows)
  const probe = fitPreprocessing(csv.header, csv.rows, columns, 'label', { lines: csv.lines })
  const { labels } = transformRows(probe, csv.header, csv.rows, { requireTarget: true, lines: csv.lines })
  const split = splitRows(csv.rows.length, { validation: 0.2, test: 0.1, seed: 1, labels: labels! })
  const prep = fitPreprocessing(csv.header, csv.rows, columns, 'label', { lines: csv.lines, fitRows: split.train })
  const out = transformRows(prep, csv.header, csv.rows, { requireTarget: true, lines: csv.lines })

  test('the email column is inferred as text and becomes 1024 hashed tf-idf inputs', () => {
    expect(columns.find((c) => c.name === 'text')!.type).toBe('text')
    expect(prep.classes).toEqual(['ham', 'spam'])
    expect(prep.inputSize).toBe(1024)
    const f = prep.features[0]!
    expect(f.kind === 'text' && f.weighting === 'tfidf' && f.idf!.length === 1024).toBe(true)
    expect(prep.notes.some((n) => n.includes('"text"') && n.includes('bag of words'))).toBe(true)
  })

  test('every email with words has an L2-normalised row', () => {
    let withWords = 0
    for (let i = 0; i < out.rows; i++) {
      const row = out.x.subarray(i * 1024, (i + 1) * 1024)
      const norm = Math.hypot(...row)
      if (norm > 0) {
        withWords++
        expect(norm).toBeCloseTo(1, 4)
      }
      expect(row.every((v) => v >= 0)).toBe(true)
    }
    expect(withWords).toBeGreaterThan(990)
  })

  test('idf is fitted on the training rows only', () => {
    const f = prep.features[0]!
    const all = probe.features[0]!
    if (f.kind !== 'text' || all.kind !== 'text') throw new Error('expected text')
    // The rarest possible bucket: present in no fitted row, idf = ln(1 + N) + 1 with N the fitted rows.
    expect(Math.max(...f.idf!)).toBeLessThanOrEqual(Math.log(1 + split.train.length) + 1 + 1e-6)
    expect(f.idf).not.toEqual(all.idf)
  })

  test('hashing is deterministic: the same data gives the same JSON and the same x', () => {
    const again = fitPreprocessing(csv.header, csv.rows, columns, 'label', { lines: csv.lines, fitRows: split.train })
    expect(JSON.stringify(again)).toBe(JSON.stringify(prep))
    const stored = Preprocessing.parse(JSON.parse(JSON.stringify(prep)))
    expect(transformRows(stored, csv.header, csv.rows.slice(0, 50), { requireTarget: false }).x).toEqual(out.x.subarray(0, 50 * 1024))
  })

  test('spam and ham emails use different words: their mean rows differ', () => {
    const mean = (k: number) => {
      const m = new Float64Array(1024)
      let n = 0
      for (let i = 0; i < out.rows; i++) if (out.labels![i] === k) (n++, out.x.subarray(i * 1024, (i + 1) * 1024).forEach((v, b) => (m[b]! += v)))
      return m.map((v) => v / n)
    }
    const [ham, spam] = [mean(0), mean(1)]
    const cosine = ham.reduce((s, v, b) => s + v * spam[b]!, 0) / (Math.hypot(...ham) * Math.hypot(...spam))
    expect(cosine).toBeLessThan(0.9)
  })

  test('other widths and weightings: 256 log counts, binary presence', () => {
    const count = fitPreprocessing(csv.header, csv.rows, columns, 'label', { text: { features: 256, weighting: 'count' } })
    expect(count.inputSize).toBe(256)
    const x = transformRows(count, csv.header, csv.rows.slice(0, 20), { requireTarget: false }).x
    expect(x.some((v) => v > Math.log1p(1) + 1e-6)).toBe(true) // some word repeats
    const binary = fitPreprocessing(csv.header, csv.rows, columns, 'label', { text: { features: 256, weighting: 'binary' } })
    expect(new Set(transformRows(binary, csv.header, csv.rows.slice(0, 20), { requireTarget: false }).x)).toEqual(new Set([0, 1]))
    const f = binary.features[0]!
    expect(f.kind === 'text' && f.idf === undefined).toBe(true)
  })
})
