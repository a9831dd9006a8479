import * as tf from '@tensorflow/tfjs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NamedTensor } from '../protocol'
import { exportLayersModel, WEIGHTS_FILE } from './export'
import { predictProba } from './evaluate'
import { clearModelCache } from './model-cache'
import { initialWeights } from './weights'
import { SPEC, separable, useCpu } from './test-fixtures'

let server: Server
let origin = ''
const served = new Map<string, { type: string; body: Buffer }>()

beforeAll(async () => {
  await useCpu()
  server = createServer((req, res) => {
    const hit = served.get(req.url ?? '')
    if (!hit) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': hit.type }).end(hit.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => {
  clearModelCache()
  server?.close()
})

describe('exportLayersModel', () => {
  let weights: NamedTensor[] = []
  beforeAll(() => {
    weights = initialWeights(SPEC, 21)
  })
  const { x } = separable(12)

  it('writes a layers-model manifest that matches the weights file', () => {
    const { modelJson, weightsBin } = exportLayersModel(SPEC, weights, { classes: ['a', 'b', 'c'] })
    expect(modelJson.format).toBe('layers-model')
    expect(modelJson.userDefinedMetadata).toEqual({ classes: ['a', 'b', 'c'] })
    expect(modelJson.weightsManifest).toEqual([
      {
        paths: [WEIGHTS_FILE],
        weights: [
          { name: 'dense_0/kernel', shape: [4, 8], dtype: 'float32' },
          { name: 'dense_0/bias', shape: [8], dtype: 'float32' },
          { name: 'dense_1/kernel', shape: [8, 3], dtype: 'float32' },
          { name: 'dense_1/bias', shape: [3], dtype: 'float32' },
        ],
      },
    ])
    expect(weightsBin.byteLength).toBe(4 * (32 + 8 + 24 + 3))
    expect(JSON.parse(JSON.stringify(modelJson))).toEqual(modelJson) // plain JSON, servable as is
  })

  it('loads back with tf.loadLayersModel over HTTP and predicts the same', async () => {
    const { modelJson, weightsBin } = exportLayersModel(SPEC, weights, { target: 'label' })
    served.set('/api/jobs/j1/model', { type: 'application/json', body: Buffer.from(JSON.stringify(modelJson)) })
    served.set(`/api/jobs/j1/${WEIGHTS_FILE}`, { type: 'application/octet-stream', body: Buffer.from(weightsBin) })
    const loaded = await tf.loadLayersModel(`${origin}/api/jobs/j1/model`)
    const got = tf.tidy(() => (loaded.predict(tf.tensor2d(x, [12, 4])) as tf.Tensor).dataSync())
    const want = predictProba(SPEC, weights, x, 12)
    Array.from(got).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6))
    loaded.dispose()
  })

  it('loads back from memory too', async () => {
    const { modelJson, weightsBin } = exportLayersModel(SPEC, weights)
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0].weights, weightData: weightsBin }),
    )
    expect(loaded.layers.map((l) => l.name)).toEqual(['dense_0', 'dense_1'])
    loaded.dispose()
  })

  it('refuses weights that do not fit the spec', () => {
    expect(() => exportLayersModel({ ...SPEC, outputSize: 4 }, weights)).toThrow(/dense_1\/kernel has shape \[8,3\], expected \[8,4\]/)
  })
})
