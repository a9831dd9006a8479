import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BlobStore } from './blobs'
import { tempDir } from './testing/harness'

const dirs: string[] = []
const store = (syncLater: boolean) => {
  const d = tempDir('nimble-blobs-')
  dirs.push(d)
  return new BlobStore(d, syncLater)
}
afterEach(() => {
  vi.restoreAllMocks()
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

describe('BlobStore', () => {
  it('flushes each new blob before put returns by default', () => {
    const fsync = vi.spyOn(fs, 'fsyncSync')
    const s = store(false)
    const a = s.put(Uint8Array.of(1, 2, 3))
    s.put(Uint8Array.of(1, 2, 3)) // already there: nothing to write
    s.put(Uint8Array.of(4))
    expect(fsync).toHaveBeenCalledTimes(2)
    expect([...s.read(a.hash)]).toEqual([1, 2, 3])
  })

  it('with syncLater, flushes in the background and synced() waits for every blob stored before it', async () => {
    const fsync = vi.spyOn(fs, 'fsyncSync')
    const open = vi.spyOn(fs.promises, 'open')
    const s = store(true)
    const refs = Array.from({ length: 20 }, (_, i) => s.put(Uint8Array.of(i, i + 1)))
    expect(fsync).not.toHaveBeenCalled()
    // Readable at once, under its final name.
    for (const [i, r] of refs.entries()) expect([...s.read(r.hash)]).toEqual([i, i + 1])
    await s.synced()
    // One background flush per new file, each opened by its final name.
    expect(open).toHaveBeenCalledTimes(20)
    expect(open.mock.calls.map((c) => path.basename(String(c[0]))).sort()).toEqual(refs.map((r) => r.hash).sort())
    await s.synced() // nothing pending: resolves at once
  })

  it('with syncLater, a flush that fails makes synced() reject, once', async () => {
    vi.spyOn(fs.promises, 'open').mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, open'), { code: 'EIO' }))
    const s = store(true)
    s.put(Uint8Array.of(9))
    await expect(s.synced()).rejects.toThrow(/EIO/)
    await expect(s.synced()).resolves.toBeUndefined()
  })

  it('stores bytes it already holds without touching the disk; a damaged copy found on disk is replaced', () => {
    const s = store(false)
    const a = s.put(Uint8Array.of(7, 7))
    const exists = vi.spyOn(fs, 'existsSync')
    const read = vi.spyOn(fs, 'readFileSync')
    expect(s.put(Uint8Array.of(7, 7))).toEqual(a)
    expect(exists).not.toHaveBeenCalled()
    expect(read).not.toHaveBeenCalled()
    vi.restoreAllMocks()
    // Damaged on disk; a store that has not seen it intact (a restart) checks and rewrites it.
    fs.writeFileSync(s.pathOf(a.hash), Uint8Array.of(0))
    expect(() => s.read(a.hash)).toThrow(/damaged/)
    const again = new BlobStore(s.root)
    again.put(Uint8Array.of(7, 7))
    expect([...again.read(a.hash)]).toEqual([7, 7])
  })
})
