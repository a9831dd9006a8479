/**
 * The OpenAPI document against the route files: every app/api route file's path and exported
 * HTTP methods are documented, and nothing is documented that has no route. A new route without
 * its entry fails here.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { openApiDocument } from './openapi'

const API = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../app/api')
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

type Operation = { security?: unknown[]; requestBody?: { content: Record<string, { schema?: { properties?: Record<string, unknown>; required?: string[] } }> }; responses: Record<string, unknown>; parameters?: { name: string; in: string }[] }
const doc = openApiDocument() as { paths: Record<string, Record<string, Operation>> }

/** Every route.ts under app/api as its URL path (`[id]` becomes `{id}`) and the methods it exports. */
function routeFiles(dir = API, prefix = '/api'): { path: string; file: string; methods: string[] }[] {
  const out: { path: string; file: string; methods: string[] }[] = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      if (entry.name.startsWith('_')) continue // private folders are not routes
      out.push(...routeFiles(full, `${prefix}/${entry.name.replace(/^\[(.+)\]$/, '{$1}')}`))
    } else if (/^route\.(ts|tsx|js)$/.test(entry.name)) {
      const text = fs.readFileSync(full, 'utf8')
      const methods = METHODS.filter((m) => new RegExp(`export\\s+(const|async\\s+function|function)\\s+${m}\\b`).test(text))
      out.push({ path: prefix, file: path.relative(API, full), methods })
    }
  }
  return out
}

describe('OpenAPI document', () => {
  const routes = routeFiles()

  it('finds the route files (a broken walk would make the next test vacuous)', () => {
    expect(routes.length).toBeGreaterThanOrEqual(30)
    expect(routes.find((r) => r.path === '/api/keys/{id}')?.methods).toEqual(['DELETE'])
    expect(routes.every((r) => r.methods.length > 0)).toBe(true)
  })

  it('documents every route file and each method it exports', () => {
    const missing = routes.flatMap((r) => r.methods.filter((m) => !doc.paths[r.path]?.[m.toLowerCase()]).map((m) => `${m} ${r.path} (app/api/${r.file})`))
    expect(missing).toEqual([])
  })

  it('documents nothing that has no route', () => {
    const served = new Set(routes.flatMap((r) => r.methods.map((m) => `${m.toLowerCase()} ${r.path}`)))
    const extra = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).filter((m) => !served.has(`${m} ${p}`)).map((m) => `${m.toUpperCase()} ${p}`))
    expect(extra).toEqual([])
  })

  it('gives every operation responses, and every path parameter a parameter entry', () => {
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(ops)) {
        expect(Object.keys(op.responses).length, `${m} ${p}`).toBeGreaterThan(0)
        for (const name of [...p.matchAll(/\{(\w+)\}/g)].map((x) => x[1])) expect(op.parameters?.some((q) => q.name === name && q.in === 'path'), `${m} ${p} {${name}}`).toBe(true)
      }
    }
  })

  it('describes sign-in and API keys from their zod schemas', () => {
    const signin = doc.paths['/api/auth/signin'].post
    expect(signin.security).toEqual([])
    expect(signin.requestBody?.content['application/json'].schema?.required).toEqual(['message', 'signature'])
    const create = doc.paths['/api/keys'].post
    expect(Object.keys(create.requestBody?.content['application/json'].schema?.properties ?? {})).toEqual(['name'])
    const created = (create.responses['201'] as { content: Record<string, { schema: { properties: object } }> }).content['application/json'].schema
    expect(Object.keys(created.properties)).toEqual(expect.arrayContaining(['id', 'prefix', 'key']))
    const revoke = doc.paths['/api/keys/{id}'].delete
    expect(revoke.parameters?.[0]).toMatchObject({ name: 'id', in: 'path', schema: { pattern: expect.stringContaining('key_') } })
    expect(doc.paths['/api/auth/me'].get.security).toBeUndefined()
  })
})
