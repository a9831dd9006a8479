/**
 * fetch for the coordinator's REST API: sends the owner key, turns the error body
 * `{error:{code,message,field?}}` into an `ApiError`, and asks for the key on 401.
 * Deliberately free of lib/ imports; callers parse success bodies with the protocol schemas.
 */
import { readOwnerKey, requestOwnerKey } from './owner-key-store'

export class ApiError extends Error {
  override name = 'ApiError'
  readonly code: string
  readonly status: number
  readonly field?: string
  constructor(code: string, message: string, status: number, field?: string) {
    super(message)
    this.code = code
    this.status = status
    this.field = field
  }
}

export type ApiOptions<T> = {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** A string is sent as is (set `contentType`); anything else is sent as JSON. */
  body?: unknown
  contentType?: string
  headers?: Record<string, string>
  /** Validate the success body; throw to reject it. */
  parse?: (data: unknown) => T
  signal?: AbortSignal
}

function headersFor(opts: ApiOptions<unknown>): Headers {
  const headers = new Headers(opts.headers)
  const key = readOwnerKey()
  if (key) headers.set('Authorization', `Bearer ${key}`)
  if (opts.body !== undefined) {
    headers.set('Content-Type', typeof opts.body === 'string' ? (opts.contentType ?? 'text/plain') : 'application/json')
  }
  return headers
}

async function send(path: string, opts: ApiOptions<unknown>): Promise<Response> {
  let res: Response
  try {
    res = await fetch(path, {
      method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
      headers: headersFor(opts),
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
      signal: opts.signal,
    })
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e
    throw new ApiError('network', 'Could not reach the Nimble coordinator. Check that it is running, then try again.', 0)
  }
  if (!res.ok) throw await toApiError(res)
  return res
}

async function toApiError(res: Response): Promise<ApiError> {
  let code = res.status === 401 ? 'unauthorized' : 'http_error'
  let message = `The request failed (HTTP ${res.status}).`
  let field: string | undefined
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown; field?: unknown } }
    if (typeof body.error?.code === 'string') code = body.error.code
    if (typeof body.error?.message === 'string') message = body.error.message
    if (typeof body.error?.field === 'string') field = body.error.field
  } catch {
    // Not a JSON error body (a proxy page, a crash): keep the generic message.
  }
  if (res.status === 401) {
    requestOwnerKey(readOwnerKey() ? 'The coordinator refused the saved key. Paste the right one, or sign in with your wallet.' : 'Sign in with your wallet (or paste an API key) to do this.')
  }
  return new ApiError(code, message, res.status, field)
}

/** Call a JSON endpoint. */
export async function api<T = unknown>(path: string, opts: ApiOptions<T> = {}): Promise<T> {
  const res = await send(path, opts)
  const text = await res.text()
  let data: unknown = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      throw new ApiError('invalid_response', 'The coordinator sent a reply this page could not read.', res.status)
    }
  }
  if (!opts.parse) return data as T
  try {
    return opts.parse(data)
  } catch (e) {
    console.error('Unexpected response from', path, e)
    throw new ApiError('invalid_response', 'The coordinator sent a reply in an unexpected shape. Try reloading the page.', res.status)
  }
}

/** Fetch a binary or text resource that needs the owner key. */
export async function apiBlob(path: string, signal?: AbortSignal): Promise<Blob> {
  const res = await send(path, { signal })
  return res.blob()
}

/** A short human line for any error, used by `ErrorNote`. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message
  return String(e)
}
