import fs from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import type { Ctx } from './context'
import { leaderboard } from './leaderboard'
import { openStore, type Store } from './store/db'
import { tempDir } from './testing/harness'

const dir = tempDir('nimble-leaderboard-')
let db: Store | null = null
afterAll(async () => {
  await db?.destroy()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('leaderboard', () => {
  it('ranks devices by summed verified credit and finds the asking device past the top', async () => {
    db = await openStore(dir)
    const device = (id: string, name: string) => ({ id, name, kind: 'browser', backend: 'wasm', gflops: 1, profile_json: '{}', first_seen: 0, last_seen: 0 })
    await db.insertInto('devices').values([device('device-aaaa', 'alpha'), device('device-bbbb', 'beta'), ...Array.from({ length: 11 }, (_, i) => device(`device-x${String(i).padStart(3, '0')}`, `x${i}`))]).execute()
    let instance = 1
    const credit = (device_id: string, flops: number) => ({ instance_id: instance++, task_id: 1, job_id: 'job_1', device_id, flops, created_at: 0 })
    await db
      .insertInto('credits')
      .values([credit('device-aaaa', 2e12), credit('device-aaaa', 1e12), credit('device-bbbb', 4e12), ...Array.from({ length: 11 }, (_, i) => credit(`device-x${String(i).padStart(3, '0')}`, 5e12 + i))])
      .execute()
    const ctx = { db, config: { prices: { volunteerPerTflop: 0.002 } } } as unknown as Ctx

    const board = await leaderboard(ctx, 'device-aaaa')
    expect(board.top).toHaveLength(10)
    expect(board.top[0]).toMatchObject({ rank: 1, name: 'x10' })
    expect(board.top.every((e) => Object.keys(e).sort().join() === 'creditFlops,name,rank,tokens')).toBe(true)
    // alpha: 3 TFLOP over two rows, behind 11 x-devices and beta.
    expect(board.you).toEqual({ rank: 13, name: 'alpha', creditFlops: 3e12, tokens: 0.006 })
    expect((await leaderboard(ctx, 'device-none')).you).toBeNull()
  })
})
