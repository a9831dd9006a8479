import { describe, expect, test } from 'vitest'
import { encodeText, fitIdf, fnv1a, MAX_TOKENS, tokenize } from './text'

describe('tokenize', () => {
  test('lowercases runs of letters and digits and drops 1-letter and over-40 tokens', () => {
    expect(tokenize('Hello, WORLD! a I 42 x9 — e-mail')).toEqual(['hello', 'world', '42', 'x9', 'mail'])
    expect(tokenize(`ok ${'z'.repeat(40)} ${'y'.repeat(41)}`)).toEqual(['ok', 'z'.repeat(40)])
  })

  test('is Unicode-aware: accents, Cyrillic, CJK and Arabic digits are letters and digits', () => {
    expect(tokenize('Café ÜBER straße Привет 日本 ٤٢')).toEqual(['café', 'über', 'straße', 'привет', '日本', '٤٢'])
  })

  test('blank cells have no tokens; a huge cell is capped', () => {
    expect(tokenize('  ')).toEqual([])
    expect(tokenize(undefined)).toEqual([])
    expect(tokenize('ab '.repeat(MAX_TOKENS + 500))).toHaveLength(MAX_TOKENS)
  })
})

test('fnv1a matches the reference FNV-1a 32-bit values over UTF-8', () => {
  expect(fnv1a('')).toBe(0x811c9dc5)
  expect(fnv1a('a')).toBe(0xe40c292c)
  expect(fnv1a('foobar')).toBe(0xbf9cf968)
  // "é" is the bytes c3 a9: the same hash as hashing those two bytes.
  let h = 0x811c9dc5
  for (const b of [0xc3, 0xa9]) h = Math.imul(h ^ b, 0x01000193) >>> 0
  expect(fnv1a('é')).toBe(h)
})

describe('weighting', () => {
  const B = 64
  const bucket = (t: string) => fnv1a(t) % B

  test('idf is ln((1+N)/(1+df))+1 over the fitted cells', () => {
    const { idf, documents } = fitIdf(['spam spam eggs', 'eggs ham', ''], B)
    expect(documents).toBe(3)
    expect(idf[bucket('spam')]).toBeCloseTo(Math.log(4 / 2) + 1, 5)
    expect(idf[bucket('eggs')]).toBeCloseTo(Math.log(4 / 3) + 1, 5)
  })

  test('tfidf rows have unit L2 norm; count is log1p; binary is presence', () => {
    const { idf } = fitIdf(['spam spam eggs', 'eggs ham'], B)
    const x = new Float32Array(B)
    encodeText(x, 0, 'spam spam eggs', B, 'tfidf', idf)
    expect(Math.hypot(...x)).toBeCloseTo(1, 5)
    const c = new Float32Array(B)
    encodeText(c, 0, 'spam spam eggs', B, 'count')
    expect(c[bucket('spam')]).toBeCloseTo(Math.log1p(2), 6)
    const b = new Float32Array(B)
    encodeText(b, 0, 'spam spam eggs', B, 'binary')
    expect(b[bucket('spam')]).toBe(1)
    expect(b.reduce((s, v) => s + v, 0)).toBe(new Set([bucket('spam'), bucket('eggs')]).size)
  })

  test('a cell without tokens stays all zeros', () => {
    const x = new Float32Array(B)
    encodeText(x, 0, '! ? a', B, 'tfidf', new Array(B).fill(1))
    expect(x.every((v) => v === 0)).toBe(true)
  })
})
