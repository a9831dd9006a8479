/**
 * Thin route handlers: authenticate, parse the input with the protocol's zod schema,
 * call one coordinator operation, return JSON. One error shape for everything:
 * `{"error":{"code","message","field?"}}` — a NimbleError keeps its status, a ZodError
 * becomes 422 naming the field, anything else a 500 that leaks nothing internal.
 */
import { ZodError, type ZodType } from 'zod'
import { isNimbleError, NimbleError, ERROR_STATUS, type ErrorBody } from '@/lib/protocol'
import { getCoordinator } from '@/server/container'
import type { Coordinator } from '@/server/coordinator'
import type { Principal } from '@/server/accounts/principal'

export type Handler<P, W> = (ctx: { req: Request; c: Coordinator; params: P; who: W }) => Promise<Response | unknown>

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers } })
}

export function errorResponse(e: unknown): Response {
  if (isNimbleError(e)) {
    const n = e as NimbleError
    return json(n.toJSON(), ERROR_STATUS[n.code] ?? 400)
  }
  if (e instanceof ZodError) {
    const issue = e.issues[0]
    const field = issue?.path.join('.') || undefined
    const code = field === 'model.template' ? 'unknown_template' : 'invalid_body'
    const body: ErrorBody = { error: { code, message: `${field ? `${field}: ` : ''}${issue?.message ?? 'invalid request body'}`, ...(field ? { field } : {}) } }
    return json(body, 422)
  }
  console.error('unhandled API error', e instanceof Error ? e.message : e)
  return json({ error: { code: 'internal', message: 'internal error; the coordinator log has the details' } }, 500)
}

type RouteFn<P> = (req: Request, ctx?: { params?: Promise<P> }) => Promise<Response>

/**
 * Wraps a handler. `auth: 'owner'` needs an API key, the admin key or a session cookie and
 * hands the caller (`who`) to the handler; `auth: 'admin'` needs the admin key.
 */
export function route<P = Record<string, never>>(opts: { auth: 'owner' | 'admin' }, fn: Handler<P, Principal>): RouteFn<P>
export function route<P = Record<string, never>>(opts: { auth: 'public' }, fn: Handler<P, null>): RouteFn<P>
export function route<P = Record<string, never>>(opts: { auth: 'owner' | 'admin' | 'public' }, fn: Handler<P, any>): RouteFn<P> {
  return async (req: Request, ctx?: { params?: Promise<P> }): Promise<Response> => {
    try {
      const c = getCoordinator()
      let who: Principal | null = null
      if (opts.auth !== 'public') {
        who = await c.authenticate({ authorization: req.headers.get('authorization'), cookie: req.headers.get('cookie') })
        if (opts.auth === 'admin' && !who.admin) throw new NimbleError({ code: 'forbidden', message: 'only the operator (admin key) may do this' })
      }
      const params = ((await ctx?.params) ?? {}) as P
      const out = await fn({ req, c, params, who })
      // What a request changed is on disk before it is reported done (group commit: server/store/durability.ts).
      if (req.method !== 'GET' && req.method !== 'HEAD') await c.durable()
      return out instanceof Response ? out : json(out)
    } catch (e) {
      return errorResponse(e)
    }
  }
}

export function contentType(req: Request): string {
  return (req.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase()
}

/** Reads a request body as text, refusing more than `limit` bytes without buffering it all. */
export async function readText(req: Request, limit: number, accept: string[]): Promise<string> {
  const buf = await readBytes(req, limit, accept)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf)
  } catch {
    throw new NimbleError({ code: 'invalid_csv', message: 'the body is not valid UTF-8 text' })
  }
}

/** Reads a request body as bytes, refusing more than `limit` bytes without buffering it all. */
export async function readBytes(req: Request, limit: number, accept: string[]): Promise<Uint8Array> {
  const type = contentType(req)
  if (accept.length && !accept.includes(type)) {
    throw new NimbleError({ code: 'unsupported_media_type', message: `send the body as ${accept.join(' or ')} (got ${type || 'no content type'})` })
  }
  const declared = Number(req.headers.get('content-length') ?? 'NaN')
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit)
  if (!req.body) return new Uint8Array(0)
  const reader = req.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > limit) {
      await reader.cancel().catch(() => {})
      throw tooLarge(limit)
    }
    chunks.push(value)
  }
  const buf = new Uint8Array(total)
  let off = 0
  for (const ch of chunks) {
    buf.set(ch, off)
    off += ch.byteLength
  }
  return buf
}

export async function readJson<T>(req: Request, schema: ZodType<T>, limit = getCoordinator().config.NIMBLE_MAX_JSON_BYTES): Promise<T> {
  const text = await readText(req, limit, ['application/json'])
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new NimbleError({ code: 'bad_request', message: 'the body is not valid JSON' })
  }
  return schema.parse(raw)
}

function tooLarge(limit: number): NimbleError {
  const which = limit === getCoordinator().config.NIMBLE_MAX_JSON_BYTES ? 'NIMBLE_MAX_JSON_BYTES' : limit === getCoordinator().config.NIMBLE_MAX_UPLOAD_BYTES ? 'NIMBLE_MAX_UPLOAD_BYTES' : 'the limit for this request'
  return new NimbleError({ code: 'payload_too_large', message: `the body is larger than the limit of ${limit} bytes (${which})` })
}
