/**
 * Runs the same small training task and an inference over its result on every tfjs backend
 * this machine has (cpu, wasm, webgpu through Dawn when a Vulkan driver is found) and prints
 * one JSON line: the base weights and each backend's packs (base64), or why webgpu was skipped.
 * Run in its own process so LD_LIBRARY_PATH for Dawn can be set at start:
 *   node --import tsx server/testing/cross-backend.ts [epochs]
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { runInferTask } from '../../lib/compute/infer'
import { clearModelCache } from '../../lib/compute/model-cache'
import { runTrainTask } from '../../lib/compute/train'
import { makeTask, packs, SPEC } from '../../lib/compute/test-fixtures'
import { installNodeWebGpu } from '../worker/backends'

const epochs = Number(process.argv[2] ?? 5)
tf.env().set('PROD', true)
const backends = ['cpu', 'wasm']
let skipped: string | null = null
try {
  await installNodeWebGpu()
  backends.push('webgpu')
} catch (e) {
  skipped = (e as Error).message
}
await tf.setBackend('cpu')
await tf.ready()
const { weightsPack, dataPack } = packs(60)
const b64 = (b: ArrayBuffer) => Buffer.from(b).toString('base64')
const results: Record<string, { weights: string; outputs: string }> = {}
for (const b of backends) {
  await tf.setBackend(b)
  await tf.ready()
  clearModelCache()
  const task = makeTask({ localEpochs: epochs }, 60)
  const trained = await runTrainTask(task, weightsPack, dataPack)
  const inferred = await runInferTask({ kind: 'infer', instanceId: 1, taskId: 1, jobId: 'j', shard: 0, model: SPEC, weights: task.weights, data: task.data, rows: 60, deadline: 0 }, trained.weights, dataPack)
  results[b] = { weights: b64(trained.weights), outputs: b64(inferred.output) }
}
process.stdout.write(JSON.stringify({ base: b64(weightsPack), data: b64(dataPack), results, skipped }) + '\n')
process.exit(0)
