/**
 * A zip upload → a labelled image set. Two layouts are read:
 *   idx:     the MNIST files (names containing "images" and "labels", optionally
 *            .gz), paired by name when there are several (train and t10k);
 *   folders: one folder per class holding PNG or JPEG images, the folder name
 *            being the class. Classes are sorted by name, images by path.
 * Every image must have one size; the set is grayscale when every image is gray,
 * RGB otherwise. __MACOSX/ and dotfiles are skipped, other files ignored; idx
 * files win when a zip holds both layouts.
 */
import { compareStrings } from '../cells'
import { decodeImage, grayToRgb, isImageFile, rgbToGray, type DecodedImage } from './decode'
import { badImages, tooLarge } from './errors'
import { idxToImages, readIdxImages, readIdxLabels, type IdxPair } from './idx'
import { readZip, type ZipFile } from './unzip'
import { limitsOf, MAX_VALUES, type ImageLimits, type ParsedImages } from './types'

const IMAGE_NAME = /\.(png|jpe?g)$/i

/** An idx file: "images" or "labels" in the name, and no extension but idx, ubyte or .gz ("labels.csv" is not one). */
export function isIdxName(path: string): boolean {
  const base = baseName(path)
  if (!/images|labels/i.test(base) || IMAGE_NAME.test(base)) return false
  return /idx|ubyte/i.test(base) || !/\.[a-z0-9]+$/i.test(base.replace(/\.gz$/i, ''))
}

export function parseImageZip(zip: Uint8Array, opts?: ImageLimits): ParsedImages {
  const limits = limitsOf(opts)
  const files = readZip(zip, (name) => IMAGE_NAME.test(name) || isIdxName(name))
  const idx = files.filter((f) => !IMAGE_NAME.test(f.name))
  if (idx.length > 0) return idxToImages(pairIdx(idx, limits))
  if (files.length === 0) {
    throw badImages('The zip holds no PNG or JPEG images and no idx files. Put the images in one folder per class (cats/1.png, dogs/2.jpg) and zip those folders.', 'zip')
  }
  if (files.length > limits.maxImages) {
    throw tooLarge(`The zip holds ${files.length} images, more than the limit of ${limits.maxImages} (maxImages). Upload a sample.`, 'maxImages')
  }
  return fromFolders(files, limits.maxPixels)
}

type Labelled = { file: ZipFile; className: string }

function fromFolders(files: ZipFile[], maxPixels: number): ParsedImages {
  const labelled: Labelled[] = files.map((file) => {
    const parts = file.name.split('/')
    if (parts.length < 2) {
      throw badImages(`${file.name} is not inside a class folder. Put each image in a folder named after its class (cats/1.png, dogs/2.jpg).`, file.name)
    }
    return { file, className: parts[parts.length - 2]! }
  })
  labelled.sort((a, b) => compareStrings(a.className, b.className) || compareStrings(a.file.name, b.file.name))
  const classes = [...new Set(labelled.map((l) => l.className))]
  if (classes.length < 2) {
    throw badImages(`Every image is in the folder "${classes[0]}"; a classifier needs at least two classes. Add a folder of images for each other class.`, labelled[0]!.file.name)
  }
  const images = decodeAll(labelled.map((l) => l.file), maxPixels)
  const slot = new Map(classes.map((c, k) => [c, k]))
  return { ...packImages(images), labels: Int32Array.from(labelled, (l) => slot.get(l.className)!), classes }
}

/** Decodes every file, checking one common size as it goes; `name` of the first odd file is reported. */
export function decodeAll(files: ZipFile[], maxPixels: number): { decoded: DecodedImage[]; width: number; height: number } {
  const decoded: DecodedImage[] = []
  let first: { name: string; width: number; height: number } | null = null
  for (const file of files) {
    if (!isImageFile(file.data)) {
      throw badImages(`${file.name} is named like an image but is not a PNG or JPEG. Convert it, or remove it from the zip.`, file.name)
    }
    const image = decodeImage(file.data, file.name, maxPixels)
    if (!first) {
      first = { name: file.name, width: image.width, height: image.height }
      if (files.length * image.width * image.height * 3 > MAX_VALUES) {
        throw tooLarge(`${files.length} images of ${image.width}×${image.height} are more pixels than Nimble can hold (${MAX_VALUES}). Upload fewer or smaller images.`, 'maxImages')
      }
    } else if (image.width !== first.width || image.height !== first.height) {
      throw badImages(
        `${file.name} is ${image.width}×${image.height} but ${first.name} is ${first.width}×${first.height}; all images must have one size. Resize them to a common size first.`,
        file.name,
      )
    }
    decoded.push(image)
  }
  return { decoded, width: first?.width ?? 0, height: first?.height ?? 0 }
}

/** Decoded images → x scaled to 0..1: one channel when all are gray, else three; or the `channels` asked for. */
export function packImages({ decoded, width, height }: { decoded: DecodedImage[]; width: number; height: number }, channels?: 1 | 3): Omit<ParsedImages, 'labels' | 'classes'> {
  const c = channels ?? (decoded.every((d) => d.channels === 1) ? 1 : 3)
  const size = width * height * c
  const x = new Float32Array(decoded.length * size)
  decoded.forEach((d, i) => {
    const px = d.channels === c ? d.pixels : c === 3 ? grayToRgb(d.pixels) : rgbToGray(d.pixels)
    for (let k = 0; k < size; k++) x[i * size + k] = px[k]! / 255
  })
  return { x, width, height, channels: c }
}

/** Pairs each idx images file with its labels file: by name (images→labels, idx3→idx1), or the only two. */
function pairIdx(files: ZipFile[], limits: Required<ImageLimits>): IdxPair[] {
  const isImages = (f: ZipFile) => /images|idx3/i.test(baseName(f.name))
  const images = files.filter(isImages).sort((a, b) => compareStrings(a.name, b.name))
  const labels = files.filter((f) => !isImages(f))
  if (images.length === 0 || labels.length === 0) {
    const missing = images.length === 0 ? 'images' : 'labels'
    throw badImages(`The zip has idx ${missing === 'images' ? 'labels' : 'images'} (${files[0]!.name}) but no idx ${missing} file. Add the matching ${missing} file (such as train-${missing}-idx${missing === 'images' ? 3 : 1}-ubyte).`, files[0]!.name)
  }
  const key = (name: string) => baseName(name).toLowerCase().replace(/images|labels/, '*').replace(/idx[13]/, 'idx').replace(/\.gz$/, '')
  const byKey = new Map(labels.map((f) => [key(f.name), f]))
  return images.map((img) => {
    const lab = images.length === 1 && labels.length === 1 ? labels[0]! : byKey.get(key(img.name))
    if (!lab) throw badImages(`No labels file matches ${img.name}. Name it like the images file with "labels" for "images" (train-images-idx3-ubyte → train-labels-idx1-ubyte).`, img.name)
    return { images: readIdxImages(img.data, img.name, limits), labels: readIdxLabels(lab.data, lab.name), imagesName: img.name, labelsName: lab.name }
  })
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}
