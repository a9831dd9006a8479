/**
 * A JSON Schema (as z.toJSONSchema writes it) shown as a readable tree: each property with
 * its type, constraints, whether it is required, and its description. Nested objects fold.
 */
type Schema = {
  type?: string | string[]
  properties?: Record<string, Schema>
  required?: string[]
  items?: Schema
  enum?: unknown[]
  const?: unknown
  anyOf?: Schema[]
  oneOf?: Schema[]
  additionalProperties?: Schema | boolean
  description?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  pattern?: string
  format?: string
  nullable?: boolean
}

const MAX_DEPTH = 6

/** One line naming a schema's type: `string (1–64 chars)`, `"a" | "b"`, `array of integer`, … */
export function typeLabel(s: Schema): string {
  if (s.const !== undefined) return JSON.stringify(s.const)
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ')
  const alts = s.anyOf ?? s.oneOf
  if (alts) return alts.map(typeLabel).join(' | ')
  const t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any')
  if (t === 'array') return `array of ${s.items ? typeLabel(s.items) : 'any'}${range(s.minItems, s.maxItems, ' items')}`
  if (t === 'object' && !s.properties && s.additionalProperties && typeof s.additionalProperties === 'object') return `map of ${typeLabel(s.additionalProperties)}`
  if (t === 'string') return `string${range(s.minLength, s.maxLength, ' chars')}${s.pattern ? ` matching ${s.pattern}` : ''}${s.format ? ` (${s.format})` : ''}`
  if (t === 'number' || t === 'integer') return `${t}${range(s.minimum ?? s.exclusiveMinimum, s.maximum, '')}`
  return t
}

function range(min: number | undefined, max: number | undefined, unit: string): string {
  if (min === undefined && max === undefined) return ''
  if (max === undefined) return ` (≥ ${min}${unit})`
  if (min === undefined) return ` (≤ ${max}${unit})`
  return ` (${min}–${max}${unit})`
}

function objectOf(s: Schema): Schema | null {
  if (s.properties) return s
  if (s.items) return objectOf(s.items)
  if (typeof s.additionalProperties === 'object') return objectOf(s.additionalProperties)
  return null
}

export function SchemaView({ schema, depth = 0 }: { schema: Schema; depth?: number }) {
  const alts = schema.oneOf ?? schema.anyOf
  if (alts && alts.some((a) => a.properties)) {
    return (
      <div className="schema-alts">
        <p className="muted small">One of:</p>
        {alts.map((a, i) => (
          <div key={i} className="schema-alt">
            <SchemaView schema={a} depth={depth + 1} />
          </div>
        ))}
      </div>
    )
  }
  const obj = objectOf(schema)
  if (!obj?.properties) return <code className="schema-type">{typeLabel(schema)}</code>
  const required = new Set(obj.required ?? [])
  return (
    <ul className="schema">
      {Object.entries(obj.properties).map(([name, prop]) => {
        const nested = objectOf(prop) ?? ((prop.oneOf ?? prop.anyOf)?.some((a) => a.properties) ? prop : null)
        return (
          <li key={name}>
            <code className="schema-name">{name}</code>
            {required.has(name) ? <span className="schema-req">required</span> : <span className="muted small">optional</span>}
            <code className="schema-type">{typeLabel(prop)}</code>
            {prop.description && <span className="schema-desc">{prop.description}</span>}
            {nested && depth < MAX_DEPTH && (
              <details>
                <summary>fields of {name}</summary>
                <SchemaView schema={nested === prop ? prop : nested} depth={depth + 1} />
              </details>
            )}
          </li>
        )
      })}
    </ul>
  )
}
