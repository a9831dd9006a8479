import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { SchemaView, typeLabel } from './schema-view'

describe('SchemaView', () => {
  it('names types with their limits', () => {
    expect(typeLabel({ type: 'string', minLength: 1, maxLength: 64 })).toBe('string (1–64 chars)')
    expect(typeLabel({ type: 'array', items: { type: 'integer' }, maxItems: 8 })).toBe('array of integer (≤ 8 items)')
    expect(typeLabel({ enum: ['a', 'b'] })).toBe('"a" | "b"')
  })

  it('lists properties from a zod schema, marking required ones', () => {
    const schema = z.toJSONSchema(z.object({ id: z.string().describe('the job id'), epochs: z.number().int().optional() }))
    const html = renderToStaticMarkup(<SchemaView schema={schema as never} />)
    expect(html).toContain('<code class="schema-name">id</code><span class="schema-req">required</span>')
    expect(html).toContain('the job id')
    expect(html).toMatch(/epochs<\/code><span class="muted small">optional/)
  })
})
