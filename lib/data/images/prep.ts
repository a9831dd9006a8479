/**
 * The preprocessing of an image model, stored with it like a table's
 * Preprocessing: the size and channels the model takes, the classes in output
 * order, and the scale from bytes to inputs. It is a schema of its own, not a
 * variant of Preprocessing (which has no `kind`); tell them apart with
 * isImagePrep, or parse stored JSON with ModelPrep.
 */
import { z } from 'zod'
import type { ImageInfo } from '../../protocol'
import { Preprocessing } from '../preprocessing'
import type { ParsedImages } from './types'

export const ImagePrep = z.object({
  kind: z.literal('image'),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  channels: z.union([z.literal(1), z.literal(3)]),
  /** Class labels in output order. */
  classes: z.array(z.string()).min(2),
  /** x = byte × scale. */
  scale: z.number().positive(),
  target: z.string().default('label'),
  targetType: z.literal('categorical').default('categorical'),
})
export type ImagePrep = z.infer<typeof ImagePrep>

/** Either preprocessing, as stored with a model. */
export const ModelPrep = z.union([ImagePrep, Preprocessing])
export type ModelPrep = z.infer<typeof ModelPrep>

export function isImagePrep(prep: ModelPrep | { kind?: unknown }): prep is ImagePrep {
  return (prep as { kind?: unknown }).kind === 'image'
}

/** The ImagePrep of a parsed image set (or of its ImageInfo). */
export function imagePrep(images: Pick<ParsedImages, 'width' | 'height' | 'channels' | 'classes'>): ImagePrep {
  return ImagePrep.parse({ kind: 'image', width: images.width, height: images.height, channels: images.channels, classes: images.classes, scale: 1 / 255 })
}

/** What the dashboard shows about an image dataset: size, channels, classes and images per class. */
export function imageInfo(images: ParsedImages): ImageInfo {
  const counts = new Array<number>(images.classes.length).fill(0)
  for (const label of images.labels) counts[label]!++
  return { width: images.width, height: images.height, channels: images.channels, classes: images.classes, counts }
}
