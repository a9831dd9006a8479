/**
 * Images to predict on, without labels: a zip of loose PNG/JPEG files (any
 * folders; sorted by path, which becomes each image's name), a zip holding an idx
 * images file, a bare idx images file (raw or gzipped), or one PNG/JPEG. With
 * `expect` (the model's ImagePrep) the size must match and the channels are
 * converted to the model's, so a gray upload runs on an RGB model and back.
 */
import { compareStrings } from '../cells'
import { isImageFile } from './decode'
import { badImages, notImages, tooLarge } from './errors'
import { isIdxImages, readIdxImages } from './idx'
import { readZip, isZip, type ZipFile } from './unzip'
import { baseName, decodeAll, isIdxName, packImages } from './zip'
import { limitsOf, type ImageLimits } from './types'

export type ImagesForPredict = {
  /** [n, height × width × channels], scaled to 0..1. */
  x: Float32Array
  /** One name per image: its path in the zip, or "#1", "#2"… for idx images. */
  names: string[]
  width: number
  height: number
  channels: number
}

export type PredictImagesOptions = ImageLimits & {
  /** The size and channels the model was trained on. */
  expect?: { width: number; height: number; channels: number }
}

export function parseImagesForPredict(bytes: Uint8Array, opts: PredictImagesOptions = {}): ImagesForPredict {
  const limits = limitsOf(opts)
  if (isZip(bytes)) return fromZip(bytes, opts, limits)
  if (isImageFile(bytes)) return finish(decodeAll([{ name: 'image', data: bytes }], limits.maxPixels), ['image'], opts)
  if (isIdxImages(bytes)) return fromIdx([{ name: 'images', data: bytes }], opts, limits, '')
  throw notImages('The upload is not a zip, an idx images file, a PNG or a JPEG. Zip the images to predict and upload the .zip.', 'file')
}

function fromZip(zip: Uint8Array, opts: PredictImagesOptions, limits: Required<ImageLimits>): ImagesForPredict {
  const files = readZip(zip, (name) => /\.(png|jpe?g)$/i.test(name) || (isIdxName(name) && /images|idx3/i.test(baseName(name))))
  const idx = files.filter((f) => isIdxName(f.name)).sort((a, b) => compareStrings(a.name, b.name))
  if (idx.length > 0) return fromIdx(idx, opts, limits, 'name')
  if (files.length === 0) throw badImages('The zip holds no PNG or JPEG images and no idx images file. Zip the images to predict and upload again.', 'zip')
  if (files.length > limits.maxImages) throw tooLarge(`The zip holds ${files.length} images, more than the limit of ${limits.maxImages} (maxImages). Split it.`, 'maxImages')
  files.sort((a, b) => compareStrings(a.name, b.name))
  return finish(decodeAll(files, limits.maxPixels), files.map((f) => f.name), opts)
}

function fromIdx(files: ZipFile[], opts: PredictImagesOptions, limits: Required<ImageLimits>, prefix: 'name' | ''): ImagesForPredict {
  const decoded = []
  const names: string[] = []
  for (const file of files) {
    const idx = readIdxImages(file.data, file.name, limits)
    const size = idx.width * idx.height
    for (let i = 0; i < idx.n; i++) {
      decoded.push({ width: idx.width, height: idx.height, channels: 1 as const, pixels: idx.pixels.subarray(i * size, (i + 1) * size) })
      names.push(`${prefix ? file.name : ''}#${i + 1}`)
    }
    if (names.length > limits.maxImages) throw tooLarge(`The upload holds more than ${limits.maxImages} images (maxImages). Split it.`, 'maxImages')
    const first = decoded[0]!
    if (idx.width !== first.width || idx.height !== first.height) {
      throw badImages(`${file.name} has ${idx.width}×${idx.height} images but ${files[0]!.name} has ${first.width}×${first.height}; all images must have one size.`, file.name)
    }
  }
  if (decoded.length === 0) throw badImages('The idx file holds no images. Upload a file with at least one image.', files[0]!.name)
  return finish({ decoded, width: decoded[0]!.width, height: decoded[0]!.height }, names, opts)
}

function finish(set: Parameters<typeof packImages>[0], names: string[], opts: PredictImagesOptions): ImagesForPredict {
  const want = opts.expect
  if (want && (set.width !== want.width || set.height !== want.height)) {
    throw badImages(`The images are ${set.width}×${set.height} but the model was trained on ${want.width}×${want.height} images. Resize them to ${want.width}×${want.height}.`, names[0])
  }
  const channels = want ? (want.channels === 1 ? 1 : 3) : undefined
  return { ...packImages(set, channels), names }
}

