/**
 * The server secret that signs task-scoped blob tokens. NIMBLE_SECRET, or 32 random bytes
 * generated on first start and kept in `<dataDir>/secret.key` (mode 0600), so tokens
 * survive a restart. Never logged.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

export function loadSecret(dataDir: string, fromEnv: string | undefined): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, 'utf8')
  const file = path.join(dataDir, 'secret.key')
  if (fs.existsSync(file)) return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64url')
  const secret = crypto.randomBytes(32)
  fs.mkdirSync(dataDir, { recursive: true })
  fs.writeFileSync(file, secret.toString('base64url') + '\n', { mode: 0o600 })
  return secret
}
