import { expect, test } from 'vitest'
import { classWeights } from './class-weights'
import { expectNimble } from './test-helpers'

const classes = ['fraud', 'ok', 'unused']
const labels = Int32Array.from([1, 1, 1, 1, 1, 1, 0, 0])

test('none gives no weights', () => {
  expect(classWeights(labels, 3, 'none', classes)).toBeUndefined()
})

test('balanced is n/(k·count), and a class without rows weighs 1', () => {
  expect(classWeights(labels, 3, 'balanced', classes)).toEqual([8 / (3 * 2), 8 / (3 * 6), 1])
})

test('explicit weights are keyed by label; missing classes weigh 1', () => {
  expect(classWeights(labels, 3, { fraud: 10 }, classes)).toEqual([10, 1, 1])
})

test('an unknown label or a bad weight is invalid_body naming it', () => {
  const e = expectNimble(() => classWeights(labels, 3, { frod: 10 }, classes), 'invalid_body', 'classWeights.frod')
  expect(e.message).toContain('"frod"')
  expect(e.message).toContain('"fraud"')
  expectNimble(() => classWeights(labels, 3, { ok: -1 }, classes), 'invalid_body', 'classWeights.ok')
})

test('labels outside the classes and mismatched class names are refused', () => {
  expectNimble(() => classWeights(Int32Array.from([0, 5]), 3, 'balanced', classes), 'bad_request', 'labels')
  expectNimble(() => classWeights(labels, 2, 'balanced', classes), 'bad_request', 'classes')
})
