import { SchemaView } from './schema-view'

type Media = { schema?: object }
type Operation = {
  summary?: string
  security?: unknown[]
  parameters?: { name: string; in: string; required?: boolean }[]
  requestBody?: { content: Record<string, Media> }
  responses: Record<string, { description: string; content?: Record<string, Media> }>
}
type Doc = { info: { title: string; version: string; description?: string }; paths: Record<string, Record<string, Operation>> }

const slug = (method: string, path: string) => `${method}-${path.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}`

/** Endpoints with their parameters, request bodies and responses. */
export function ApiDocs({ doc }: { doc: Doc }) {
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })))
  return (
    <div className="stack" data-testid="api-docs">
      <section className="card">
        <p>
          <strong>{doc.info.title}</strong> <span className="muted">version {doc.info.version}</span>
        </p>
        {doc.info.description && <p>{doc.info.description}</p>}
        <nav aria-label="Endpoints">
          <ul className="api-index">
            {ops.map(({ path, method }) => (
              <li key={slug(method, path)}>
                <a href={`#${slug(method, path)}`}>
                  <span className={`method method-${method}`}>{method.toUpperCase()}</span> <code>{path}</code>
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </section>
      {ops.map(({ path, method, op }) => (
        <section className="card api-op" key={slug(method, path)} id={slug(method, path)} aria-labelledby={`${slug(method, path)}-title`} data-testid="api-op">
          <h2 id={`${slug(method, path)}-title`}>
            <span className={`method method-${method}`}>{method.toUpperCase()}</span> <code>{path}</code>
          </h2>
          <p>
            {op.summary}{' '}
            {Array.isArray(op.security) && op.security.length === 0 ? <span className="badge badge-succeeded">public</span> : <span className="badge badge-queued">owner key</span>}
          </p>
          {op.parameters && op.parameters.length > 0 && (
            <>
              <h3>Parameters</h3>
              <ul className="schema">
                {op.parameters.map((p) => (
                  <li key={p.name}>
                    <code className="schema-name">{p.name}</code> <span className="muted small">in {p.in}</span>{' '}
                    {p.required ? <span className="schema-req">required</span> : <span className="muted small">optional</span>}
                  </li>
                ))}
              </ul>
            </>
          )}
          {op.requestBody && (
            <>
              <h3>Request body</h3>
              {Object.entries(op.requestBody.content).map(([type, media]) => (
                <div key={type}>
                  <p className="muted small">
                    <code>{type}</code>
                  </p>
                  {media.schema && <SchemaView schema={media.schema} />}
                </div>
              ))}
            </>
          )}
          <h3>Responses</h3>
          <dl className="api-responses">
            {Object.entries(op.responses).map(([status, r]) => (
              <div key={status}>
                <dt>
                  <code>{status}</code> {r.description}
                </dt>
                <dd>
                  {r.content &&
                    Object.values(r.content).map((media, i) =>
                      media.schema ? (
                        <details key={i}>
                          <summary>Body</summary>
                          <SchemaView schema={media.schema} />
                        </details>
                      ) : null,
                    )}
                </dd>
              </div>
            ))}
          </dl>
        </section>
      ))}
    </div>
  )
}
