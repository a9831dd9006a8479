/**
 * Errors about uploaded images. Bytes that are no image format Nimble reads are
 * unsupported_media_type; a readable upload whose content is wrong (odd sizes, bad
 * counts, no classes) is invalid_body. `field` names the file inside the upload.
 */
import { NimbleError } from '../../protocol'

export function badImages(message: string, field?: string, cause?: unknown): NimbleError {
  return new NimbleError({ code: 'invalid_body', message, field, cause })
}

export function notImages(message: string, field?: string, cause?: unknown): NimbleError {
  return new NimbleError({ code: 'unsupported_media_type', message, field, cause })
}

export function tooLarge(message: string, field: string): NimbleError {
  return new NimbleError({ code: 'payload_too_large', message, field })
}
