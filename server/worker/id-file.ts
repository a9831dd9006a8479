/** Persists the device id the coordinator gave this worker, so a restart keeps its identity (and trust). */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

const DEVICE_ID = /^[A-Za-z0-9_-]{8,64}$/

/** The stored id, or undefined when the file is missing or holds something that is not a device id. */
export async function readDeviceId(path: string, warn: (m: string) => void = () => {}): Promise<string | undefined> {
  let text: string
  try {
    text = (await readFile(path, 'utf8')).trim()
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warn(`cannot read id file ${path}: ${(e as Error).message}`)
    return undefined
  }
  if (DEVICE_ID.test(text)) return text
  warn(`ignoring id file ${path}: it does not hold a device id`)
  return undefined
}

/** Writes atomically (temp file then rename) so a crash never leaves half an id. */
export async function writeDeviceId(path: string, id: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, `${id}\n`, { mode: 0o600 })
  await rename(tmp, path)
}
