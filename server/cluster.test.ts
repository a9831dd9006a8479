import { describe, expect, it } from 'vitest'
import path from 'node:path'
import { loadConfig } from './config'
import { lockKey } from './cluster'

describe('scale-out configuration', () => {
  it('accepts PostgreSQL and Redis URLs and refuses others, naming the variable', () => {
    const c = loadConfig({ NIMBLE_DATA_DIR: '/tmp/x', DATABASE_URL: 'postgres://app@127.0.0.1:5432/nimble', REDIS_URL: 'redis://127.0.0.1:6379' })
    expect(c.DATABASE_URL).toBe('postgres://app@127.0.0.1:5432/nimble')
    expect(c.blobDir).toBe(path.resolve('/tmp/x/blobs'))
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x/y' })).toThrow(/DATABASE_URL: must be postgres:\/\//)
    expect(() => loadConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL: must be redis:\/\//)
    expect(loadConfig({ NIMBLE_BLOB_DIR: '/mnt/blobs' }).blobDir).toBe('/mnt/blobs')
  })

  it('gives each lock name a stable 31-bit key', () => {
    expect(lockKey('settlement')).toBe(lockKey('settlement'))
    expect(lockKey('settlement')).not.toBe(lockKey('leases:sweep'))
    for (const n of ['a', 'job:job_x', 'settlement']) expect(lockKey(n)).toBeGreaterThanOrEqual(0), expect(lockKey(n)).toBeLessThan(2 ** 31)
  })
})
