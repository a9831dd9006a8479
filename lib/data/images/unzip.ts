/**
 * Reads the files of a zip with fflate, skipping what archivers add (__MACOSX/,
 * dotfiles like .DS_Store, folders) and refusing archives that would expand past
 * MAX_UNPACKED_BYTES before inflating them.
 */
import { unzipSync } from 'fflate'
import { notImages, tooLarge } from './errors'
import { MAX_UNPACKED_BYTES } from './types'

export type ZipFile = { name: string; data: Uint8Array }

/** The kept files, named by their path inside the zip ("cats/1.png"), in the zip's order. */
export function readZip(zip: Uint8Array, keep: (name: string) => boolean): ZipFile[] {
  if (!isZip(zip)) {
    throw notImages('The upload is not a zip file (it does not start with "PK"). Zip the class folders, or the idx files, and upload the .zip.', 'zip')
  }
  let total = 0
  let unpacked: Record<string, Uint8Array>
  try {
    unpacked = unzipSync(zip, {
      filter: (file) => {
        const name = cleanName(file.name)
        if (!name || !keep(name)) return false
        total += file.originalSize
        if (total > MAX_UNPACKED_BYTES) {
          throw tooLarge(`The zip unpacks to more than ${MAX_UNPACKED_BYTES} bytes, more than Nimble accepts. Upload fewer or smaller images.`, 'zip')
        }
        return true
      },
    })
  } catch (e) {
    if (e instanceof Error && e.name === 'NimbleError') throw e
    throw notImages(`The zip cannot be read (${(e as Error).message}). It is damaged or not a zip; create it again.`, 'zip', e)
  }
  return Object.entries(unpacked).map(([name, data]) => ({ name: cleanName(name)!, data }))
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6)
}

/** The path with / separators and no leading "./"; null for folders and archiver clutter. */
function cleanName(raw: string): string | null {
  const name = raw.replace(/\\/g, '/').replace(/^(\.\/|\/)+/, '')
  if (name === '' || name.endsWith('/')) return null
  const parts = name.split('/')
  if (parts.some((p) => p === '__MACOSX' || p.startsWith('.'))) return null
  return name
}
