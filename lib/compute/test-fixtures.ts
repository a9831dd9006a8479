/**
 * Shared test data: a tiny separable 3-class problem in 4 dimensions and a task around it,
 * 8x8 images of horizontal vs vertical bars (cnn), and a noisy line (regression).
 */
import * as tf from '@tensorflow/tfjs'
import { packTensors, type ModelSpec, type TrainTask } from '../protocol'
import { initialWeights } from './weights'
import { mulberry32 } from './prng'

export const SPEC: ModelSpec = spec({ template: 'mlp', hidden: [8] })

/** A classification spec over the 4-feature problem, with overrides. */
export function spec(overrides: Partial<ModelSpec> = {}): ModelSpec {
  return { template: 'mlp', task: 'classification', inputShape: [4], inputSize: 4, outputSize: 3, hidden: [], activation: 'relu', dropout: 0, filters: [], ...overrides }
}

export const BARS_SPEC: ModelSpec = spec({ template: 'cnn', inputShape: [8, 8, 1], inputSize: 64, outputSize: 2, filters: [4], hidden: [16] })
export const LINE_SPEC: ModelSpec = spec({ template: 'linear', task: 'regression', inputShape: [1], inputSize: 1, outputSize: 1 })

/** 8x8 one-channel images, flat rows: class 0 holds a horizontal bar, class 1 a vertical one, at random positions, plus noise. */
export function bars(rows: number, seed = 1): { x: Float32Array; y: Float32Array } {
  const rand = mulberry32(seed)
  const x = new Float32Array(rows * 64)
  const y = new Float32Array(rows * 2)
  for (let i = 0; i < rows; i++) {
    const c = i % 2
    const at = Math.floor(rand() * 8)
    for (let p = 0; p < 64; p++) {
      const [r, col] = [Math.floor(p / 8), p % 8]
      x[i * 64 + p] = ((c === 0 ? r : col) === at ? 1 : 0) + (rand() - 0.5) * 0.3
    }
    y[i * 2 + c] = 1
  }
  return { x, y }
}

/** y = 2x + 1 with a little noise, x in [-1, 1]. */
export function line(rows: number, seed = 1): { x: Float32Array; y: Float32Array } {
  const rand = mulberry32(seed)
  const x = Float32Array.from({ length: rows }, () => rand() * 2 - 1)
  const y = Float32Array.from(x, (v) => 2 * v + 1 + (rand() - 0.5) * 0.1)
  return { x, y }
}

/** A data pack of x [rows, width] and y [rows, outWidth]. */
export function dataPack(x: Float32Array, y: Float32Array, rows: number): ArrayBuffer {
  return packTensors([
    { name: 'x', shape: [rows, x.length / rows], data: x },
    { name: 'y', shape: [rows, y.length / rows], data: y },
  ])
}

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

export function makeTask(overrides: Partial<TrainTask['hyper']> = {}, rows = 120, model: ModelSpec = SPEC): TrainTask {
  return {
    kind: 'train',
    instanceId: 1,
    taskId: 1,
    jobId: 'job1',
    round: 0,
    shard: 0,
    model,
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
