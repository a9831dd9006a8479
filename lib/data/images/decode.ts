/**
 * One PNG or JPEG file → its size and pixels, told apart by their first bytes
 * rather than the file name. Alpha is dropped (as most loaders do); a picture whose
 * every pixel has R = G = B is kept as one gray channel, so grayscale sets stay
 * small. The size is checked before decoding, so a huge picture is refused cheaply.
 */
import { decode as decodeJpeg } from 'jpeg-js'
import { PNG } from 'pngjs'
import { badImages, notImages, tooLarge } from './errors'

export type DecodedImage = {
  width: number
  height: number
  channels: 1 | 3
  /** height × width × channels bytes, row-major. */
  pixels: Uint8Array
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

export function isImageFile(bytes: Uint8Array): boolean {
  return isPng(bytes) || isJpeg(bytes)
}

/** Decodes a PNG or JPEG; `name` is the file, for errors. */
export function decodeImage(bytes: Uint8Array, name: string, maxPixels: number): DecodedImage {
  let rgba: { width: number; height: number; data: Uint8Array }
  if (isPng(bytes)) {
    const width = bytes.length >= 24 ? readU32(bytes, 16) : 0
    const height = bytes.length >= 24 ? readU32(bytes, 20) : 0
    checkPixels(width, height, maxPixels, name)
    rgba = attempt(name, 'PNG', () => PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)))
  } else if (isJpeg(bytes)) {
    rgba = attempt(name, 'JPEG', () => decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 1024 }))
    checkPixels(rgba.width, rgba.height, maxPixels, name)
  } else {
    throw notImages(`${name} is not a PNG or JPEG image (its first bytes do not match either). Convert it to PNG or JPEG, or remove it.`, name)
  }
  return fromRgba(rgba.width, rgba.height, rgba.data)
}

function fromRgba(width: number, height: number, data: Uint8Array): DecodedImage {
  const n = width * height
  let gray = true
  for (let p = 0; p < n && gray; p++) {
    const r = data[p * 4]!
    if (data[p * 4 + 1] !== r || data[p * 4 + 2] !== r) gray = false
  }
  const channels = gray ? 1 : 3
  const pixels = new Uint8Array(n * channels)
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < channels; c++) pixels[p * channels + c] = data[p * 4 + c]!
  }
  return { width, height, channels, pixels }
}

/** Gray pixels repeated into three equal channels. */
export function grayToRgb(pixels: Uint8Array): Uint8Array {
  const out = new Uint8Array(pixels.length * 3)
  for (let p = 0; p < pixels.length; p++) out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = pixels[p]!
  return out
}

/** RGB pixels to one luma channel (ITU-R BT.601 weights, as PIL's convert('L')). */
export function rgbToGray(pixels: Uint8Array): Uint8Array {
  const out = new Uint8Array(pixels.length / 3)
  for (let p = 0; p < out.length; p++) out[p] = Math.round(0.299 * pixels[p * 3]! + 0.587 * pixels[p * 3 + 1]! + 0.114 * pixels[p * 3 + 2]!)
  return out
}

function checkPixels(width: number, height: number, maxPixels: number, name: string): void {
  if (width < 1 || height < 1) throw badImages(`${name} says it is ${width}×${height} pixels, so it is damaged. Export it again.`, name)
  if (width * height > maxPixels) {
    throw tooLarge(`${name} is ${width}×${height}, more than ${maxPixels} pixels (maxPixels). Resize the images to a common small size, such as 64×64.`, 'maxPixels')
  }
}

function attempt<T>(name: string, format: string, decode: () => T): T {
  try {
    return decode()
  } catch (e) {
    if (e instanceof Error && e.name === 'NimbleError') throw e
    if (String((e as Error).message).includes('maxResolutionInMP')) {
      throw tooLarge(`${name} has more pixels than the limit (maxPixels). Resize the images to a common small size, such as 64×64.`, 'maxPixels')
    }
    throw badImages(`${name} looks like a ${format} but cannot be decoded (${(e as Error).message}). The file is damaged; export it again.`, name, e)
  }
}

function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0
}
