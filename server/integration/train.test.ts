/**
 * The coordinator and three headless workers (real tfjs on the cpu backend) train on Iris
 * through the REST API; accuracy is measured on 30 rows the coordinator never saw.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { irisCsv } from '../testing/iris'
import { startCoordinator, startWorker, stopAll, waitUntil, type Coord } from '../testing/harness'

let coord: Coord
const iris = irisCsv()

beforeAll(async () => {
  coord = await startCoordinator()
  for (let i = 0; i < 3; i++) await startWorker(coord.url, { name: `w${i}` })
  await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === 3, 60_000, '3 workers online')
}, 180_000)

afterAll(stopAll)

async function trainAndScore(model: object, epochs: number, extra: object = {}) {
  const ds = await coord.api.call('POST', '/api/datasets', iris.train, { 'x-filename': 'iris.csv' })
  expect(ds.status).toBe(201)
  expect(ds.body.rows).toBe(120)
  expect(ds.body.columns.map((c: { type: string }) => c.type)).toEqual(['numeric', 'numeric', 'numeric', 'numeric', 'categorical'])
  const job = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model, epochs, ...extra })
  expect(job.status).toBe(201)
  const done = await waitUntil(
    async () => {
      const j = await coord.api.call('GET', `/api/jobs/${job.body.id}`)
      if (j.body.status === 'failed') throw new Error(`job failed: ${j.body.error}`)
      return j.body.status === 'succeeded' ? j.body : null
    },
    150_000,
    'job to succeed',
  )
  const pred = await coord.api.call('POST', `/api/jobs/${job.body.id}/predict`, iris.holdout)
  expect(pred.status).toBe(200)
  expect(pred.body.predictions).toHaveLength(30)
  const correct = pred.body.predictions.filter((p: { label: string }, i: number) => p.label === iris.holdoutLabels[i]).length
  return { job: done, accuracy: correct / 30 }
}

describe('distributed training on Iris', () => {
  it('trains a logistic regression to at least 90% on held-out rows', async () => {
    const { job, accuracy } = await trainAndScore({ template: 'logistic' }, 40)
    expect(accuracy).toBeGreaterThanOrEqual(0.9)
    expect(job.history).toHaveLength(40)
    // Every round's tasks were spread over the fleet and each counted exactly once.
    expect(job.devices.length).toBeGreaterThanOrEqual(2)
    expect(job.tasks.done).toBe(job.tasks.total)
    // Replicas of a new device's work are accepted instances too: each is counted once.
    expect(job.devices.reduce((a: number, d: { tasks: number }) => a + d.tasks, 0)).toBe(job.verification.accepted)
    expect(job.verification.accepted).toBeGreaterThanOrEqual(job.tasks.done)
  }, 200_000)

  it('trains an MLP to at least 90% on held-out rows', async () => {
    const { job, accuracy } = await trainAndScore({ template: 'mlp', hidden: [16] }, 40)
    expect(accuracy).toBeGreaterThanOrEqual(0.9)
    expect(job.test.accuracy).toBeGreaterThan(0.8)
  }, 200_000)

  it('accepts honest results that do not move the weights: the coordinator runs the task itself and finds it does not move either', async () => {
    // A learning rate this small leaves every float32 weight where it was: each result looks like
    // a lazy device's (no update), and each had been refused until the job failed.
    const { job } = await trainAndScore({ template: 'logistic' }, 3, { learningRate: 1e-12 })
    expect(job.status).toBe('succeeded')
    expect(job.tasks.done).toBe(job.tasks.total)
    expect(job.verification.rejected).toBe(0)
  }, 200_000)

  it('stops a job at its budget, keeping the best weights, and charges the device-time it saw', async () => {
    const jobs = (await coord.api.call('GET', '/api/jobs')).body.jobs
    const first = jobs.find((j: { status: string; config: { template: string }; scheduling: { cost: number } }) => j.status === 'succeeded' && j.config.template === 'logistic' && j.scheduling.cost > 0)
    expect(first, 'an earlier job that cost something').toBeTruthy()
    // The list carries no history: rounds done is `round`.
    const perRound = first.scheduling.cost / first.round
    const budget = 6 * perRound
    const ds = await coord.api.call('POST', '/api/datasets', iris.train, { 'x-filename': 'iris.csv' })
    const job = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'logistic' }, epochs: 40, budget })
    expect(job.status, JSON.stringify(job.body)).toBe(201)
    const done = await waitUntil(
      async () => {
        const j = (await coord.api.call('GET', `/api/jobs/${job.body.id}`)).body
        return j.status === 'succeeded' || j.status === 'failed' ? j : null
      },
      150_000,
      'budgeted job to end',
    )
    console.log(`budget ${budget.toPrecision(3)} (6 rounds at ${perRound.toPrecision(3)}): stopped after ${done.history.length} rounds at ${done.scheduling.cost.toPrecision(3)}`)
    expect(done.status, done.error).toBe('succeeded')
    expect(done.scheduling.stoppedBy).toBe('budget')
    expect(done.scheduling.budget).toBe(budget)
    expect(done.history.length).toBeLessThan(40)
    expect(done.history.length).toBeGreaterThanOrEqual(2)
    // It stops before a round would overrun: at most one round's noise above the budget.
    expect(done.scheduling.cost).toBeLessThanOrEqual(budget * 1.25)
    // Each accepted task is charged its lease-to-result time at its device's class price;
    // canaries (the platform's known-answer checks of a device) are not the owner's to pay.
    const valid = done.scheduling.placements.filter((p: { state: string }) => p.state === 'valid')
    expect(valid.length).toBeGreaterThan(0)
    for (const p of valid) {
      if (p.reason === 'canary') expect(p.cost).toBeNull()
      else expect(p.cost).toBeGreaterThan(0)
      expect(p.actualMs).toBeGreaterThanOrEqual(0)
    }
  }, 200_000)
})
