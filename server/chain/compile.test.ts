import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ARTIFACTS_FILE, compileContracts, renderArtifacts } from './compile'

describe('contract artifacts', () => {
  it('lib/chain/artifacts.ts is exactly what compiling contracts/ gives (run `npm run contracts` after editing a .sol)', () => {
    const result = compileContracts()
    expect(result.compiled.RewardDistributor.bytecode.length).toBeGreaterThan(1000)
    expect(fs.readFileSync(ARTIFACTS_FILE, 'utf8')).toBe(renderArtifacts(result))
  })
})
