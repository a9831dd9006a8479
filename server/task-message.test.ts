/**
 * Task messages (lib/protocol/task.ts `taskMessage`): built from a payload without the protocol's
 * parse, so these check what it builds against that parse, for every kind: a message devices
 * accept, with nothing of the payload that is not the protocol's.
 */
import { describe, expect, it } from 'vitest'
import { Task } from '../lib/protocol'
import { taskMessage } from '../lib/protocol'

const HASH = 'a'.repeat(64)
const ref = (bytes: number) => ({ hash: HASH, bytes, url: `/api/blobs/${HASH}` })
const model = { template: 'mlp', task: 'classification', inputShape: [4], inputSize: 4, outputSize: 3, hidden: [16], activation: 'relu', dropout: 0, filters: [] }
/** What payloads hold besides the message: kept on the coordinator. */
const internal = { memoryBytes: 4096, shapes: [{ name: 'dense_0/kernel', shape: [4, 16] }], prefer: 'dev_owner' }
const lease = { instanceId: 7, taskId: 42, jobId: 'job_1', shard: 3, rows: 50, deadline: Date.now() + 60_000, round: 2, stage: 1, microBatch: 3 }

const payloads = {
  train: { kind: 'train', model, hyper: { localEpochs: 1, batchSize: 32, learningRate: 0.01, optimizer: 'adam', seed: 1 }, weights: ref(1000), data: ref(800), ...internal },
  infer: { kind: 'infer', model, weights: ref(1000), data: ref(800), ...internal },
  stage: {
    kind: 'stage',
    stages: 2,
    segment: { from: 0, to: 1, layers: [{ class_name: 'Dense', config: { units: 4 } }], inputShape: [4] },
    weights: [{ layer: 0, ref: ref(80) }],
    input: ref(64),
    mode: 'backward',
    gradient: ref(64),
    stepRows: 100,
    ...internal,
  },
}

describe('task messages', () => {
  for (const [kind, payload] of Object.entries(payloads)) {
    it(`${kind}: what the protocol's parse gives, and none of the payload's own keys`, () => {
      const msg = taskMessage(payload, lease)
      // Every key the parse would strip is gone already, and nothing it needs is missing.
      expect(Task.parse(msg)).toEqual(msg)
      for (const k of Object.keys(internal)) expect(msg).not.toHaveProperty(k)
      expect(msg).toMatchObject({ kind, instanceId: 7, taskId: 42, jobId: 'job_1', rows: 50 })
      // The lease's keys where the kind has them: a training round, a stage and its micro-batch.
      if (kind === 'train') expect(msg).toMatchObject({ round: 2, shard: 3 })
      if (kind === 'stage') expect(msg).toMatchObject({ stage: 1, microBatch: 3 })
    })
  }

  it('keeps optional keys that are unset out of the message', () => {
    const msg = taskMessage({ ...payloads.stage, gradient: undefined, labels: undefined } as { kind: string }, lease)
    expect(Object.keys(msg)).not.toContain('gradient')
    expect(Task.parse(msg)).toEqual(msg)
  })

  it('refuses a payload of a kind no message has, naming the task and the kind', () => {
    expect(() => taskMessage({ ...payloads.infer, kind: 'mine' }, lease)).toThrow(/task 42: .*kind "mine"/)
  })
})
