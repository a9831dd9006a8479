/**
 * The tolerances on REAL cross-backend floats: the same training task and inference run on
 * cpu, wasm and webgpu (Dawn + SwiftShader, when it initialises; the skip is logged) must
 * agree, while a result scaled by 1%, an untrained (lazy) one and one trained from stale
 * weights must not.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { runTrainTask } from '../compute/train'
import { makeTask, useCpu } from '../compute/test-fixtures'
import { initialWeights } from '../compute/weights'
import { SPEC } from '../compute/test-fixtures'
import { packTensors, unpackTensors, type NamedTensor } from '../protocol'
import { compareResults, lazyUpdate, relativeL2, updateDistance } from './compare'
import { TOLERANCE } from './tolerance'

type Run = { base: NamedTensor[]; dataPack: ArrayBuffer; weights: Record<string, NamedTensor[]>; outputs: Record<string, NamedTensor[]>; skipped: string | null }
let run: Run

const root = path.resolve(__dirname, '../..')
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json'

function unpack64(s: string): NamedTensor[] {
  const b = Buffer.from(s, 'base64')
  return unpackTensors(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
}

beforeAll(async () => {
  const env = { ...process.env, ...(existsSync(ICD) ? { LD_LIBRARY_PATH: ['/usr/lib/chromium', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), VK_ICD_FILENAMES: ICD } : {}) }
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/testing/cross-backend.ts', '8'], { cwd: root, env, encoding: 'utf8', timeout: 240_000, maxBuffer: 64 << 20 })
  const line = r.stdout.trim().split('\n').at(-1)
  if (!line?.startsWith('{')) throw new Error(`cross-backend run failed (${r.status}): ${r.stderr.slice(-2000)}`)
  const j = JSON.parse(line) as { base: string; data: string; results: Record<string, { weights: string; outputs: string }>; skipped: string | null }
  const data = Buffer.from(j.data, 'base64')
  run = {
    base: unpack64(j.base),
    dataPack: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    weights: Object.fromEntries(Object.entries(j.results).map(([k, v]) => [k, unpack64(v.weights)])),
    outputs: Object.fromEntries(Object.entries(j.results).map(([k, v]) => [k, unpack64(v.outputs)])),
    skipped: j.skipped,
  }
  if (run.skipped) console.warn(`webgpu skipped: ${run.skipped}`)
  await useCpu()
}, 300_000)

const scaled = (ts: NamedTensor[], f: number) => ts.map((t) => ({ ...t, data: t.data.map((v) => v * f) }))

describe('tolerances on real cross-backend results', () => {
  it('cpu, wasm and webgpu agree on training updates and on outputs', () => {
    const names = Object.keys(run.weights)
    expect(names).toContain('cpu')
    expect(names).toContain('wasm')
    const measured: string[] = []
    for (const a of names)
      for (const b of names) {
        if (a >= b) continue
        const u = compareResults(run.weights[a], run.weights[b], run.base)
        const o = compareResults(run.outputs[a], run.outputs[b], null)
        measured.push(`${a}/${b} update ${u.distance.toExponential(2)} output ${o.distance.toExponential(2)}`)
        expect(u.agree, `${a} vs ${b} update distance ${u.distance}`).toBe(true)
        expect(o.agree, `${a} vs ${b} output distance ${o.distance}`).toBe(true)
        // Not bitwise equal everywhere, but far inside the tolerance.
        expect(u.distance).toBeLessThan(TOLERANCE.update / 10)
      }
    console.info(`cross-backend distances: ${measured.join('; ')}`)
  })

  it('rejects a 1% scaled result on every backend pair, as an update and as an output', () => {
    for (const a of Object.keys(run.weights))
      for (const b of Object.keys(run.weights)) {
        expect(compareResults(run.weights[a], scaled(run.weights[b], 1.01), run.base).agree).toBe(false)
        expect(compareResults(run.outputs[a], scaled(run.outputs[b], 1.01), null).agree).toBe(false)
        expect(relativeL2(run.outputs[a], scaled(run.outputs[b], 1.01))).toBeGreaterThan(TOLERANCE.output * 5)
      }
  })

  it('flags an untrained (lazy) result and accepts every honest one', () => {
    expect(lazyUpdate(run.base, run.base)).toMatch(/not trained/)
    for (const w of Object.values(run.weights)) expect(lazyUpdate(w, run.base)).toBeNull()
    expect(compareResults(run.weights.cpu, run.base, run.base).agree).toBe(false)
  })

  it('rejects a result trained from stale weights', async () => {
    const stale = packTensors(initialWeights(SPEC, 99))
    const out = await runTrainTask(makeTask({ localEpochs: 8 }, 60), stale, run.dataPack)
    const d = updateDistance(run.base, run.weights.cpu, unpackTensors(out.weights))
    expect(d).toBeGreaterThan(TOLERANCE.update * 100)
    expect(tf.getBackend()).toBe('cpu')
  })
})
