// Builds the Next.js app when there is no build yet or a source file is newer than it.
// Keeps `npm start` and `npm test` to one command each on a fresh clone.
import { execSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const stamp = path.join(root, '.next', 'BUILD_ID')
const dirs = ['app', 'components', 'lib', 'workers']
const files = ['next.config.mjs', 'package.json', 'tsconfig.json']

function newest(p) {
  let t = 0
  if (!fs.existsSync(p)) return t
  const st = fs.statSync(p)
  if (!st.isDirectory()) return st.mtimeMs
  for (const e of fs.readdirSync(p)) t = Math.max(t, newest(path.join(p, e)))
  return t
}

const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0
const source = Math.max(...dirs.map((d) => newest(path.join(root, d))), ...files.map((f) => newest(path.join(root, f))))
if (built === 0 || source > built) {
  console.error(built === 0 ? 'No build yet: running next build…' : 'Sources changed since the last build: running next build…')
  execSync('npx next build', { cwd: root, stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } })
}
