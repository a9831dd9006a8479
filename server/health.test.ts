import fs from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { HealthView } from '../lib/protocol'
import { checkHealth } from './health'
import { openStore } from './store/db'
import { tempDir } from './testing/harness'

const dir = tempDir('nimble-health-')
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('checkHealth', () => {
  it('is ready while the store answers, not while draining, and not once the store is gone', async () => {
    const db = await openStore(dir)
    const base = { db, devices: 3, startedAt: Date.now() - 5000, node: 'node-t', redis: false, draining: false }
    const ready = await checkHealth(base)
    expect(HealthView.parse(ready)).toEqual(ready)
    expect(ready).toMatchObject({ ok: true, dbReachable: true, db: 'sqlite', devices: 3, uptimeSec: 5, node: 'node-t' })
    expect(ready.draining).toBeUndefined()

    expect(await checkHealth({ ...base, draining: true })).toMatchObject({ ok: false, dbReachable: true, draining: true })

    await db.destroy()
    expect(await checkHealth(base)).toMatchObject({ ok: false, dbReachable: false })
  })
})
