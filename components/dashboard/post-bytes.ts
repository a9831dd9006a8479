/**
 * POST a file's raw bytes (e.g. a zip) to the coordinator. api() only sends strings and JSON,
 * so this mirrors its owner-key header and `{error:{code,message,field?}}` → ApiError handling.
 */
import { ApiError } from '../api-client'
import { readOwnerKey, requestOwnerKey } from '../owner-key-store'

export async function postBytes<T>(path: string, file: File, opts: { contentType: string; headers?: Record<string, string>; parse: (data: unknown) => T }): Promise<T> {
  const headers = new Headers(opts.headers)
  headers.set('Content-Type', opts.contentType)
  const key = readOwnerKey()
  if (key) headers.set('Authorization', `Bearer ${key}`)
  let res: Response
  try {
    res = await fetch(path, { method: 'POST', headers, body: await file.arrayBuffer() })
  } catch {
    throw new ApiError('network', 'Could not reach the Nimble coordinator. Check that it is running, then try again.', 0)
  }
  const body: unknown = await res.json().catch(() => null)
  if (!res.ok) {
    const err = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error
    if (res.status === 401) requestOwnerKey(key ? 'The coordinator refused the saved key. Paste the right one, or sign in with your wallet.' : 'Sign in with your wallet (or paste an API key) to do this.')
    throw new ApiError(
      typeof err?.code === 'string' ? err.code : res.status === 401 ? 'unauthorized' : 'http_error',
      typeof err?.message === 'string' ? err.message : `The upload failed (HTTP ${res.status}).`,
      res.status,
      typeof err?.field === 'string' ? err.field : undefined,
    )
  }
  try {
    return opts.parse(body)
  } catch (e) {
    console.error('Unexpected response from', path, e)
    throw new ApiError('invalid_response', 'The coordinator sent a reply in an unexpected shape. Try reloading the page.', res.status)
  }
}
