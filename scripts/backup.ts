/**
 * npm run backup -- [--data DIR] [--out DIR]
 * npm run restore -- --from DIR [--data DIR] [--force]
 * Consistent online backup of the SQLite store plus blobs and keys (see server/backup.ts).
 */
import path from 'node:path'
import { parseArgs } from 'node:util'
import { backup, restore } from '../server/backup'

const mode = process.argv[2]
const { values } = parseArgs({ args: process.argv.slice(3), options: { data: { type: 'string' }, out: { type: 'string' }, from: { type: 'string' }, force: { type: 'boolean' } } })
const dataDir = path.resolve(values.data ?? process.env.NIMBLE_DATA_DIR ?? 'data')

try {
  if (mode === 'backup') {
    const out = path.resolve(values.out ?? path.join('backups', new Date().toISOString().replace(/[:.]/g, '-')))
    const m = await backup(dataDir, out)
    console.log(`backed up ${dataDir} to ${out}: database, ${m.blobs} blobs (${m.blobBytes} bytes), ${m.files.join(', ')}`)
  } else if (mode === 'restore') {
    if (!values.from) throw new Error('--from DIR is required (a directory made by npm run backup)')
    const m = restore(path.resolve(values.from), dataDir, { force: values.force })
    console.log(`restored ${values.from} (made ${m.createdAt}) into ${dataDir}: database, ${m.blobs} blobs`)
  } else {
    throw new Error('usage: backup.ts backup|restore [options]')
  }
} catch (e) {
  console.error(`error: ${(e as Error).message}`)
  process.exit(1)
}
