'use client'
/** The job's dataset (GET /api/datasets/:id), for its kind and name. Null until loaded or when it cannot be read. */
import { useEffect, useState } from 'react'
import type { DatasetView } from '@/lib/protocol'
import { api } from '../api-client'
import { parseDataset } from '../dashboard/upload-dataset'

export function useDataset(id: string | undefined): DatasetView | null {
  const [dataset, setDataset] = useState<DatasetView | null>(null)
  useEffect(() => {
    if (!id) return
    const ctrl = new AbortController()
    api(`/api/datasets/${encodeURIComponent(id)}`, { parse: parseDataset, signal: ctrl.signal })
      .then(setDataset)
      // Optional detail: the page works without it (CSV is assumed).
      .catch(() => {})
    return () => ctrl.abort()
  }, [id])
  return dataset
}
