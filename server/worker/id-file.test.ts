import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readDeviceId, writeDeviceId } from './id-file'

describe('device id file', () => {
  it('round-trips an id and ignores missing or malformed files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nimble-id-'))
    const path = join(dir, 'sub', 'device-id')
    expect(await readDeviceId(path)).toBeUndefined()
    await writeDeviceId(path, 'dev_abc12345')
    expect(await readDeviceId(path)).toBe('dev_abc12345')
    const warnings: string[] = []
    await writeFile(path, 'not an id!\n')
    expect(await readDeviceId(path, (m) => warnings.push(m))).toBeUndefined()
    expect(warnings[0]).toMatch(/does not hold a device id/)
  })
})
