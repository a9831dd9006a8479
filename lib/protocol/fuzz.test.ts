/**
 * Property-based fuzzing of every pure parser at a trust boundary (REST bodies, query strings,
 * socket events, worker messages, CSV, model topologies, tensor packs, image zips): whatever
 * comes in, the parser either accepts it or refuses with a ZodError or a NimbleError whose code
 * maps to a 4xx. Nothing else may escape (no TypeError, no RangeError, no hang).
 */
import fc from 'fast-check'
import { ZodError, type ZodType } from 'zod'
import { describe, expect, it } from 'vitest'
import { parseCsv } from '../data/csv'
import { parseImageZip } from '../data/images/zip'
import { inspectTopology } from '../compute/custom-model'
import { normalizeTopology } from '../model/topology'
import {
  CreateApiKeyBody,
  CreateJobBody,
  DeviceDuty,
  DeviceHello,
  ERROR_STATUS,
  FromWorker,
  HelloAccepted,
  isNimbleError,
  JobIdParam,
  LinkWalletBody,
  SignInBody,
  TaskFailure,
  TaskProgress,
  TaskResultMeta,
  TemplateModelBody,
  ToWorker,
  unpackTensors,
  UploadModelBody,
} from './index'

const RUNS = Number(process.env.NIMBLE_FUZZ_RUNS ?? 2000)

/** Runs `fn`; passes when it returns or throws a refusal a route would map to a 4xx. */
function refusesCleanly(fn: () => unknown): void {
  try {
    fn()
  } catch (e) {
    if (e instanceof ZodError) return
    if (isNimbleError(e)) {
      const status = ERROR_STATUS[(e as { code: keyof typeof ERROR_STATUS }).code]
      expect(status, (e as Error).message).toBeGreaterThanOrEqual(400)
      expect(status).toBeLessThan(500)
      return
    }
    throw e
  }
}

/** Inputs shaped like the real thing, with any field swapped for junk, plus pure junk. */
function nearly(base: Record<string, unknown>): fc.Arbitrary<unknown> {
  const junk = fc.oneof(fc.anything(), fc.string(), fc.double(), fc.integer(), fc.constant(null), fc.constant(undefined), fc.array(fc.anything(), { maxLength: 5 }))
  const mutated = fc.record(Object.fromEntries(Object.keys(base).map((k) => [k, fc.oneof(fc.constant(base[k]), junk)]))) as fc.Arbitrary<unknown>
  return fc.oneof(mutated, fc.anything(), fc.jsonValue())
}

const schemas: [string, ZodType, Record<string, unknown>][] = [
  ['CreateJobBody (train)', CreateJobBody, { type: 'train', datasetId: 'ds_x', target: 'species', model: { template: 'mlp', hidden: [8] }, epochs: 5 }],
  ['CreateJobBody (infer)', CreateJobBody, { type: 'infer', datasetId: 'ds_x', sourceJobId: 'job_y' }],
  ['UploadModelBody', UploadModelBody, { name: 'm', modelTopology: { class_name: 'Sequential', config: { layers: [] } }, weightsManifest: [], weightData: 'AAAA' }],
  ['TemplateModelBody', TemplateModelBody, { template: 'mlp', inputShape: [4], outputSize: 3, hidden: [4] }],
  ['SignInBody', SignInBody, { message: 'x', signature: '0xabc' }],
  ['LinkWalletBody', LinkWalletBody, { message: 'x', signature: '0xabc', deviceIds: ['dev_12345678'] }],
  ['CreateApiKeyBody', CreateApiKeyBody, { name: 'ci' }],
  ['device:hello', DeviceHello, { protocolVersion: 1, name: 'w', slots: 2, profile: { kind: 'headless', backend: 'cpu', benchmarks: [], adapter: null, memoryBudget: 1e9, duty: 0.5 } }],
  ['device:hello answer (worker in)', HelloAccepted, { ok: true, deviceId: 'dev_12345678', slots: 2, notice: 'capped' }],
  ['task:result meta', TaskResultMeta, { instanceId: 1, taskId: 1, loss: 0.1, elapsedMs: 10, backend: 'cpu' }],
  ['task:progress', TaskProgress, { instanceId: 1, fraction: 0.5, loss: 0.2 }],
  ['task:failed', TaskFailure, { instanceId: 1, taskId: 1, message: 'oom' }],
  ['device:duty', DeviceDuty, { duty: 0.5 }],
  ['worker in', ToWorker, { type: 'init', wasmPath: '/tfjs-wasm/' }],
  ['worker out', FromWorker, { type: 'ready', backend: 'cpu' }],
  ['job id param', JobIdParam as unknown as ZodType, {}],
]

describe('zod contracts refuse junk cleanly', () => {
  for (const [name, schema, base] of schemas) {
    it(name, () => {
      fc.assert(fc.property(nearly(base), (input) => refusesCleanly(() => schema.parse(input))), { numRuns: RUNS, seed: 42 })
    })
  }
})

describe('CSV uploads', () => {
  const cell = fc.oneof(fc.string({ maxLength: 8 }), fc.double().map(String), fc.constantFrom('', '"', '""', ',', '\n', '\r\n', ';', '\t', 'NaN', '1e309', '\u0000', '\uFEFF'))
  const csv = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { maxLength: 20 }).map((rows) => rows.map((r) => r.join(',')).join('\n')),
    fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { maxLength: 20 }).map((rows) => rows.map((r) => r.map((c) => `"${c}"`).join(';')).join('\r\n')),
  )
  it('parseCsv accepts or refuses with a 4xx code', () => {
    fc.assert(fc.property(csv, fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 10 }), (text, maxRows, maxColumns) => refusesCleanly(() => parseCsv(text, { maxRows, maxColumns }))), { numRuns: RUNS * 2, seed: 7 })
  })
  it('names the row and column limits when refusing', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i},${i}`).join('\n')
    expect(() => parseCsv(`a,b\n${rows}`, { maxRows: 10 })).toThrow(/10/)
    expect(() => parseCsv('a,b,c,d\n1,2,3,4', { maxColumns: 3 })).toThrow(/3/)
  })
})

describe('model uploads', () => {
  const layer = fc.record({
    class_name: fc.constantFrom('Dense', 'Dropout', 'Flatten', 'Conv2D', 'InputLayer', 'Lambda', 'Bogus', ''),
    config: fc.oneof(
      fc.record({ units: fc.oneof(fc.integer({ min: -5, max: 1e9 }), fc.double(), fc.string()), activation: fc.constantFrom('relu', 'softmax', 'evil'), batch_input_shape: fc.oneof(fc.constant([null, 4]), fc.array(fc.oneof(fc.integer(), fc.constant(null)), { maxLength: 5 }), fc.anything()) }, { requiredKeys: [] }),
      fc.anything(),
    ),
  })
  const topology = fc.oneof(fc.record({ class_name: fc.constantFrom('Sequential', 'Model', 'x'), config: fc.oneof(fc.record({ layers: fc.array(layer, { maxLength: 6 }) }), fc.anything()) }), fc.object(), fc.anything())
  it('inspectTopology and normalizeTopology accept or refuse with a 4xx code', () => {
    fc.assert(
      fc.property(topology, (t) => {
        refusesCleanly(() => inspectTopology(t as object, { maxParams: 1e6 }))
        refusesCleanly(() => normalizeTopology(t))
      }),
      { numRuns: RUNS, seed: 11 },
    )
  })
  it('unpackTensors (results, uploaded weights) accepts or refuses with a 4xx code', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => refusesCleanly(() => unpackTensors(bytes))), { numRuns: RUNS, seed: 12 })
  })
  it('parseImageZip accepts or refuses with a 4xx code', () => {
    const zipish = fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...b])))
    fc.assert(fc.property(zipish, (bytes) => refusesCleanly(() => parseImageZip(bytes, { maxImages: 10 }))), { numRuns: RUNS / 2, seed: 13 })
  })
})
