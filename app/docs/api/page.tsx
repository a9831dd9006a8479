import type { Metadata } from 'next'
import { ApiDocs } from '@/components/docs/api-docs'
import { openApiDocument } from '@/lib/protocol/openapi'

export const metadata: Metadata = { title: 'API' }

/** The REST API, rendered from the same OpenAPI document (built from the zod schemas) that /api/openapi.json serves. */
export default function ApiDocsPage() {
  return (
    <>
      <div className="page-head">
        <h1>API</h1>
        <p>
          Everything the dashboard does, over HTTP. Generated from the same schemas the coordinator parses requests with; the
          machine-readable form is <a href="/api/openapi.json">/api/openapi.json</a>.
        </p>
      </div>
      <ApiDocs doc={openApiDocument() as never} />
    </>
  )
}
