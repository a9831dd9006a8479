/**
 * Owner authentication. The key is NIMBLE_ADMIN_KEY or, when unset, one generated on
 * first start and kept in `<dataDir>/admin.key` (mode 0600). It is compared in constant time.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { NimbleError } from '../lib/protocol'

export type OwnerKey = { key: string; generated: boolean; file: string | null }

export function loadOwnerKey(dataDir: string, fromEnv: string | undefined): OwnerKey {
  if (fromEnv) return { key: fromEnv, generated: false, file: null }
  const file = path.join(dataDir, 'admin.key')
  if (fs.existsSync(file)) return { key: fs.readFileSync(file, 'utf8').trim(), generated: false, file }
  const key = `nmb_${crypto.randomBytes(24).toString('base64url')}`
  fs.mkdirSync(dataDir, { recursive: true })
  fs.writeFileSync(file, key + '\n', { mode: 0o600 })
  return { key, generated: true, file }
}

export function checkBearer(header: string | null | undefined, key: string): void {
  const m = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '')
  if (!m) {
    throw new NimbleError({ code: 'unauthorized', message: 'missing owner key: send Authorization: Bearer <key> (the key is in the data directory, file admin.key)' })
  }
  if (!safeEqual(m[1].trim(), key)) throw new NimbleError({ code: 'unauthorized', message: 'wrong owner key' })
}

export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest()
  const hb = crypto.createHash('sha256').update(b).digest()
  return crypto.timingSafeEqual(ha, hb)
}
