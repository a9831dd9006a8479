'use client'

import { useState } from 'react'
import { JobView } from '@/lib/protocol'
import { api } from '../api-client'
import { ErrorNote } from '../error-note'

/** POST /api/jobs/:id/cancel; the live view reflects the new status. */
export function CancelJob({ jobId, onCancelled }: { jobId: string; onCancelled: (job: JobView) => void }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  async function cancel() {
    setBusy(true)
    setError(null)
    try {
      const body = await api(`/api/jobs/${encodeURIComponent(jobId)}/cancel`, { method: 'POST' })
      const inner = body && typeof body === 'object' && 'job' in body ? (body as { job: unknown }).job : body
      const parsed = JobView.safeParse(inner)
      if (parsed.success) onCancelled(parsed.data)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div>
      <button type="button" className="btn btn-danger" onClick={cancel} disabled={busy} data-testid="cancel-job">
        {busy ? 'Cancelling…' : 'Cancel job'}
      </button>
      <ErrorNote error={error} />
    </div>
  )
}
