/**
 * One error type for the whole product. Every failure a person can see carries a
 * stable machine code, a human message that says what to do, and (for HTTP) a status.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_body: 422,
  invalid_csv: 422,
  empty_csv: 422,
  unknown_column: 422,
  unknown_template: 422,
  non_numeric_value: 422,
  invalid_model: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  not_ready: 409,
  invalid_message: 400,
  protocol_mismatch: 400,
  invalid_result: 422,
  stale_lease: 409,
  invalid_signature: 401,
  chain_unavailable: 503,
  /** Too many requests from one IP or one key in the window (NIMBLE_RATE_*). */
  rate_limited: 429,
  /** The owner already has NIMBLE_MAX_JOBS_PER_OWNER jobs queued or running. */
  too_many_jobs: 429,
  /** A cross-origin request to the API (CORS is closed unless NIMBLE_CORS_ORIGINS lists the origin). */
  cross_origin: 403,
  /** The coordinator is shutting down (SIGTERM): it takes no new work. */
  shutting_down: 503,
  /** A stored blob no longer matches its hash: refused rather than served. */
  blob_corrupt: 503,
  /** A device or wallet banned for invalid results: its hello and results are refused. */
  banned: 403,
  internal: 500,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

export type NimbleErrorParameters = {
  code: ErrorCode
  message: string
  /** The offending field, column or line, when there is one. */
  field?: string
  cause?: unknown
}

export class NimbleError extends Error {
  override name = 'NimbleError'
  readonly code: ErrorCode
  readonly field?: string
  constructor({ code, message, field, cause }: NimbleErrorParameters) {
    super(message, { cause })
    this.code = code
    this.field = field
  }
  get status(): number {
    return ERROR_STATUS[this.code]
  }
  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } }
  }
}

export type ErrorBody = { error: { code: ErrorCode; message: string; field?: string } }

export function isNimbleError(e: unknown): e is NimbleError {
  return e instanceof NimbleError || (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'NimbleError')
}
