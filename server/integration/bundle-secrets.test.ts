/**
 * No secret reaches the browser: the client bundles (.next/static, built by `npm test` before
 * vitest runs) must not hold the admin key, the operator key, the blob-token secret or any
 * server-only module that reads them. Run `npx next build` first when running this file alone.
 */
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../testing/harness'

const STATIC = path.join(ROOT, '.next', 'static')

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]))
}

function readIf(p: string): string | null {
  return fs.existsSync(p) ? fs.readFileSync(p, 'utf8').trim() : null
}

describe('browser bundles hold no secrets', () => {
  it('has a build to scan', () => {
    expect(fs.existsSync(STATIC), 'run `npx next build` (npm test does it) before this test').toBe(true)
  })

  it('contains neither the admin key, the operator key, the server secret nor the code that loads them', () => {
    if (!fs.existsSync(STATIC)) return
    const secrets: [string, string][] = [
      // The harness admin key and anvil's well-known first dev key (the embedded chain's funder).
      ['harness admin key', 'test-owner-key-0123456789abcdef'],
      ['anvil dev key', 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'],
    ]
    for (const name of ['NIMBLE_ADMIN_KEY', 'OPERATOR_PRIVATE_KEY', 'NIMBLE_SECRET']) {
      const v = process.env[name]
      if (v) secrets.push([`$${name}`, v.replace(/^0x/, '')])
    }
    for (const f of ['admin.key', 'secret.key', 'chain/operator.key']) {
      const v = readIf(path.join(ROOT, 'data', f))
      if (v) secrets.push([`data/${f}`, v.replace(/^0x/, '')])
    }
    // Server-only code that reads secrets must not be bundled for the browser at all.
    const markers = ['NIMBLE_ADMIN_KEY', 'OPERATOR_PRIVATE_KEY', 'NIMBLE_SECRET', 'admin.key', 'operator.key', 'secret.key']
    const scanned = files(STATIC).filter((f) => /\.(js|mjs|json|html|txt|map|css)$/.test(f))
    expect(scanned.length).toBeGreaterThan(10)
    const hits: string[] = []
    for (const f of scanned) {
      const text = fs.readFileSync(f, 'utf8')
      for (const [name, value] of secrets) if (text.includes(value)) hits.push(`${name} in ${path.relative(ROOT, f)}`)
      for (const m of markers) if (text.includes(m)) hits.push(`"${m}" in ${path.relative(ROOT, f)}`)
    }
    expect(hits).toEqual([])
  })
})
