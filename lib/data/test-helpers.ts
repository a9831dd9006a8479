/** Shared by the tests of lib/data: catch a NimbleError and check its code and field. */
import { expect } from 'vitest'
import { isNimbleError, type ErrorCode, type NimbleError } from '../protocol'

export function catchNimble(fn: () => unknown): NimbleError {
  try {
    fn()
  } catch (e) {
    if (isNimbleError(e)) return e
    throw e
  }
  throw new Error('expected a NimbleError, nothing was thrown')
}

export function expectNimble(fn: () => unknown, code: ErrorCode, field?: string): NimbleError {
  const error = catchNimble(fn)
  expect(error.code).toBe(code)
  if (field !== undefined) expect(error.field).toBe(field)
  return error
}
