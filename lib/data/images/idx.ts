/**
 * The idx format of MNIST and Fashion-MNIST: a big-endian header (magic, then one
 * 32-bit size per dimension) followed by unsigned bytes. Images are magic
 * 0x00000803 with [n, rows, cols]; labels 0x00000801 with [n]. Either file may be
 * gzipped, as they are distributed. Every header field is checked against the
 * byte count, so a truncated download fails with the numbers that disagree.
 */
import { gunzipSync } from 'fflate'
import { badImages, notImages, tooLarge } from './errors'
import { limitsOf, MAX_UNPACKED_BYTES, MAX_VALUES, type ImageLimits, type ParsedImages } from './types'

const IMAGES_MAGIC = 0x00000803
const LABELS_MAGIC = 0x00000801

export type IdxImages = { n: number; height: number; width: number; pixels: Uint8Array }
/** An images file and its labels file, with the names errors should use. */
export type IdxPair = { images: IdxImages; labels: Uint8Array; imagesName: string; labelsName: string }

/** Images and labels files (raw or gzipped) → a labelled grayscale image set. */
export function parseIdx(images: Uint8Array, labels: Uint8Array, opts?: ImageLimits): ParsedImages {
  return idxToImages([{ images: readIdxImages(images, 'images', opts), labels: readIdxLabels(labels, 'labels'), imagesName: 'images', labelsName: 'labels' }])
}

/** One or more idx pairs (train and t10k, say) → one image set; all pairs must share the image size. */
export function idxToImages(pairs: IdxPair[]): ParsedImages {
  const first = pairs[0]!
  let n = 0
  for (const p of pairs) {
    if (p.labels.length !== p.images.n) {
      throw badImages(`${p.imagesName} holds ${p.images.n} images but ${p.labelsName} holds ${p.labels.length} labels; the counts must match. Upload the labels file that belongs to these images.`, p.labelsName)
    }
    if (p.images.width !== first.images.width || p.images.height !== first.images.height) {
      throw badImages(
        `${p.imagesName} has ${p.images.width}×${p.images.height} images but ${first.imagesName} has ${first.images.width}×${first.images.height}; all images must share one size.`,
        p.imagesName,
      )
    }
    n += p.images.n
  }
  const seen = new Set<number>()
  for (const p of pairs) for (const v of p.labels) seen.add(v)
  const values = [...seen].sort((a, b) => a - b)
  if (values.length < 2) {
    throw badImages(`Every image has the label ${values[0] ?? '(none)'}; a classifier needs at least two classes. Upload images of two or more classes.`, first.labelsName)
  }
  const slot = new Int32Array(256)
  values.forEach((v, k) => (slot[v] = k))
  const size = first.images.width * first.images.height
  const x = new Float32Array(n * size)
  const labels = new Int32Array(n)
  let at = 0
  for (const p of pairs) {
    const px = p.images.pixels
    for (let i = 0; i < px.length; i++) x[at * size + i] = px[i]! / 255
    for (let i = 0; i < p.images.n; i++) labels[at + i] = slot[p.labels[i]!]!
    at += p.images.n
  }
  return { x, labels, classes: values.map(String), width: first.images.width, height: first.images.height, channels: 1 }
}

/** An idx images file (raw or gzipped) → its dimensions and pixel bytes. `name` is the file, for errors. */
export function readIdxImages(bytes: Uint8Array, name: string, opts?: ImageLimits): IdxImages {
  const data = maybeGunzip(bytes, name)
  const magic = header(data, 0, name)
  if (magic !== IMAGES_MAGIC) throw wrongMagic(magic, IMAGES_MAGIC, name, 'images')
  const n = header(data, 4, name)
  const height = header(data, 8, name)
  const width = header(data, 12, name)
  if (height < 1 || width < 1) throw badImages(`${name} says its images are ${width}×${height}; both sides must be at least 1.`, name)
  const limits = limitsOf(opts)
  if (n > limits.maxImages) throw tooLarge(`${name} holds ${n} images, more than the limit of ${limits.maxImages} (maxImages). Upload a sample.`, 'maxImages')
  if (width * height > limits.maxPixels) throw tooLarge(`${name} has ${width}×${height} images, more than ${limits.maxPixels} pixels each (maxPixels). Resize them.`, 'maxPixels')
  if (n * width * height > MAX_VALUES) throw tooLarge(`${name} holds ${n} images of ${width}×${height}, more pixels than Nimble can hold (${MAX_VALUES}). Upload fewer or smaller images.`, 'maxImages')
  const expected = 16 + n * height * width
  if (data.length !== expected) {
    throw badImages(`${name} says it holds ${n} images of ${width}×${height}, which is ${expected} bytes with the header, but it has ${data.length}. The file is truncated or not idx; download it again.`, name)
  }
  return { n, height, width, pixels: data.subarray(16) }
}

/** An idx labels file (raw or gzipped) → one byte per image. */
export function readIdxLabels(bytes: Uint8Array, name: string): Uint8Array {
  const data = maybeGunzip(bytes, name)
  const magic = header(data, 0, name)
  if (magic !== LABELS_MAGIC) throw wrongMagic(magic, LABELS_MAGIC, name, 'labels')
  const n = header(data, 4, name)
  if (data.length !== 8 + n) {
    throw badImages(`${name} says it holds ${n} labels, which is ${8 + n} bytes with the header, but it has ${data.length}. The file is truncated or not idx; download it again.`, name)
  }
  return data.subarray(8)
}

/** True when the bytes (raw or gzipped) begin like an idx images file. */
export function isIdxImages(bytes: Uint8Array): boolean {
  if (isGzip(bytes)) return true // checked properly when read
  return bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 8 && bytes[3] === 3
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
}

function maybeGunzip(bytes: Uint8Array, name: string): Uint8Array {
  if (!isGzip(bytes)) return bytes
  // The last four bytes are the uncompressed size (mod 2^32): refuse a bomb before inflating it.
  const end = bytes.length
  const size = end >= 18 ? (bytes[end - 4]! | (bytes[end - 3]! << 8) | (bytes[end - 2]! << 16) | (bytes[end - 1]! << 24)) >>> 0 : 0
  if (size > MAX_UNPACKED_BYTES) throw tooLarge(`${name} unpacks to ${size} bytes, more than Nimble accepts (${MAX_UNPACKED_BYTES}). Upload fewer images.`, name)
  try {
    return gunzipSync(bytes)
  } catch (e) {
    throw badImages(`${name} starts like gzip but cannot be unpacked (${(e as Error).message}). The file is damaged; download it again.`, name, e)
  }
}

function header(data: Uint8Array, at: number, name: string): number {
  if (data.length < at + 4) {
    throw notImages(`${name} is only ${data.length} bytes long, too short for an idx header. Upload the idx file (such as train-images-idx3-ubyte, optionally .gz).`, name)
  }
  return ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0
}

function wrongMagic(magic: number, expected: number, name: string, what: string): Error {
  const hex = (v: number) => `0x${v.toString(16).padStart(8, '0')}`
  const swapped = magic === (expected === IMAGES_MAGIC ? LABELS_MAGIC : IMAGES_MAGIC)
  const hint = swapped ? ` It looks like the ${what === 'images' ? 'labels' : 'images'} file; are the two swapped?` : ' It is not an idx file.'
  return notImages(`${name} starts with ${hex(magic)}, but an idx ${what} file starts with ${hex(expected)}.${hint}`, name)
}
