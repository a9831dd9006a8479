/** Shared test data: a tiny separable 3-class problem in 4 dimensions, and a task around it. */
import * as tf from '@tensorflow/tfjs'
import { packTensors, type ModelSpec, type TrainTask } from '../protocol'
import { initialWeights } from './weights'
import { mulberry32 } from './prng'

export const SPEC: ModelSpec = { template: 'mlp', inputSize: 4, outputSize: 3, hidden: [8], activation: 'relu' }

const CENTERS = [
  [2, 0, 0, 1],
  [-2, 1, 0, -1],
  [0, -2, 2, 0],
]

/** `rows` points around three well-separated centres, x row-major and y one-hot. */
export function separable(rows: number, seed = 1): { x: Float32Array; y: Float32Array } {
  const rand = mulberry32(seed)
  const x = new Float32Array(rows * 4)
  const y = new Float32Array(rows * 3)
  for (let i = 0; i < rows; i++) {
    const c = i % 3
    for (let j = 0; j < 4; j++) x[i * 4 + j] = CENTERS[c][j] + (rand() - 0.5) * 1.2
    y[i * 3 + c] = 1
  }
  return { x, y }
}

export function makeTask(overrides: Partial<TrainTask['hyper']> = {}, rows = 120): TrainTask {
  return {
    kind: 'train',
    instanceId: 1,
    taskId: 1,
    jobId: 'job1',
    round: 0,
    shard: 0,
    model: SPEC,
    hyper: { localEpochs: 15, batchSize: 16, learningRate: 0.05, optimizer: 'adam', seed: 3, ...overrides },
    weights: { hash: '0'.repeat(64), bytes: 0, url: '/blobs/w' },
    data: { hash: '1'.repeat(64), bytes: 0, url: '/blobs/d' },
    rows,
    deadline: Date.now() + 60_000,
  }
}

export function packs(rows = 120, seed = 1) {
  const { x, y } = separable(rows, seed)
  return {
    x,
    y,
    weightsPack: packTensors(initialWeights(SPEC, 11)),
    dataPack: packTensors([
      { name: 'x', shape: [rows, 4], data: x },
      { name: 'y', shape: [rows, 3], data: y },
    ]),
  }
}

export async function useCpu(): Promise<void> {
  tf.env().set('PROD', true) // silences the "install tfjs-node" hint
  await tf.setBackend('cpu')
  await tf.ready()
}
