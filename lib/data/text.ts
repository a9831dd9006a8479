/**
 * Free text as a hashed bag of words, so emails, reviews and tickets can feed a
 * model without a stored vocabulary: a token's input is its hash modulo the bucket
 * count, the same on every machine. Only the tf-idf weights are fitted, on the
 * training rows, and stored in the preprocessing.
 *
 * Tokens: lowercase runs of Unicode letters and digits, 2 to 40 characters long
 * (single letters carry little, longer runs are base64 or URLs), at most
 * MAX_TOKENS per cell so one huge email cannot stall fitting.
 */
import { isBlank } from './cells'
import type { TextWeighting } from './preprocessing'

export const DEFAULT_TEXT_FEATURES = 1024
export const DEFAULT_TEXT_WEIGHTING: TextWeighting = 'tfidf'
export const MAX_TOKENS = 20_000
const MIN_TOKEN = 2
const MAX_TOKEN = 40
const WORD = /[\p{L}\p{N}]+/gu

/** The tokens of a cell, in order, lowercased and filtered; at most MAX_TOKENS. */
export function tokenize(cell: string | undefined): string[] {
  if (isBlank(cell)) return []
  const tokens: string[] = []
  for (const match of cell!.toLowerCase().matchAll(WORD)) {
    const token = match[0]
    // Length in code points, so "日本" counts as two characters like "ab".
    const length = countCodePoints(token)
    if (length < MIN_TOKEN || length > MAX_TOKEN) continue
    tokens.push(token)
    if (tokens.length >= MAX_TOKENS) break
  }
  return tokens
}

/** FNV-1a, 32 bits, over the token's UTF-8 bytes: small, fast and specified, so any runtime can reproduce it. */
export function fnv1a(token: string): number {
  let h = 0x811c9dc5
  const step = (byte: number) => {
    h ^= byte
    h = Math.imul(h, 0x01000193)
  }
  for (const ch of token) {
    const c = ch.codePointAt(0)!
    if (c < 0x80) step(c)
    else if (c < 0x800) {
      step(0xc0 | (c >> 6))
      step(0x80 | (c & 63))
    } else if (c < 0x10000) {
      step(0xe0 | (c >> 12))
      step(0x80 | ((c >> 6) & 63))
      step(0x80 | (c & 63))
    } else {
      step(0xf0 | (c >> 18))
      step(0x80 | ((c >> 12) & 63))
      step(0x80 | ((c >> 6) & 63))
      step(0x80 | (c & 63))
    }
  }
  return h >>> 0
}

/** Token counts per bucket of one cell: bucket → count. */
export function bucketCounts(cell: string | undefined, buckets: number): Map<number, number> {
  const counts = new Map<number, number>()
  for (const token of tokenize(cell)) {
    const b = fnv1a(token) % buckets
    counts.set(b, (counts.get(b) ?? 0) + 1)
  }
  return counts
}

/** Inverse document frequency per bucket over the given cells: ln((1+N)/(1+df))+1, as scikit-learn's smooth idf. */
export function fitIdf(cells: Iterable<string | undefined>, buckets: number): { idf: number[]; documents: number; withTokens: number } {
  const df = new Float64Array(buckets)
  let documents = 0
  let withTokens = 0
  for (const cell of cells) {
    documents++
    const counts = bucketCounts(cell, buckets)
    if (counts.size > 0) withTokens++
    for (const b of counts.keys()) df[b]!++
  }
  // Rounded so the stored JSON stays small; prediction reads the same rounded values.
  const idf = Array.from(df, (d) => Math.round((Math.log((1 + documents) / (1 + d)) + 1) * 1e6) / 1e6)
  return { idf, documents, withTokens }
}

/** Writes the weighted bag of words of one cell into x[at … at+buckets); x starts zeroed. */
export function encodeText(x: Float32Array, at: number, cell: string | undefined, buckets: number, weighting: TextWeighting, idf?: readonly number[]): void {
  const counts = bucketCounts(cell, buckets)
  if (counts.size === 0) return
  if (weighting === 'binary') {
    for (const b of counts.keys()) x[at + b] = 1
    return
  }
  if (weighting === 'count') {
    for (const [b, c] of counts) x[at + b] = Math.log1p(c)
    return
  }
  let norm = 0
  for (const [b, c] of counts) {
    const w = c * idf![b]!
    norm += w * w
  }
  norm = Math.sqrt(norm)
  for (const [b, c] of counts) x[at + b] = (c * idf![b]!) / norm
}

function countCodePoints(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0xdc00 || c > 0xdfff) n++ // low surrogates continue a code point
  }
  return n
}
