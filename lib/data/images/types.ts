/** What the image readers return, and the limits they share. */

/** A labelled image set: x is [n, height × width × channels], row-major HWC, scaled to 0..1. */
export type ParsedImages = {
  x: Float32Array
  /** Class index of each image. */
  labels: Int32Array
  /** Class names in label order (folder names sorted, or the idx label values in numeric order). */
  classes: string[]
  width: number
  height: number
  /** 1 (grayscale) or 3 (RGB). */
  channels: number
}

export type ImageLimits = {
  /** Most images accepted (default 100,000). */
  maxImages?: number
  /** Most pixels (width × height) per image (default 4,194,304, i.e. 2048 × 2048). */
  maxPixels?: number
}

export const DEFAULT_MAX_IMAGES = 100_000
export const DEFAULT_MAX_PIXELS = 2048 * 2048
/** Most values in x (4 bytes each): 1 GiB of floats. */
export const MAX_VALUES = 1 << 28
/** Most bytes a zip or gzip may expand to. */
export const MAX_UNPACKED_BYTES = 1 << 30

export function limitsOf(opts: ImageLimits | undefined): Required<ImageLimits> {
  return { maxImages: opts?.maxImages ?? DEFAULT_MAX_IMAGES, maxPixels: opts?.maxPixels ?? DEFAULT_MAX_PIXELS }
}
