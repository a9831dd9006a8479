'use client'

import { useState } from 'react'
import type { DatasetView } from '@/lib/protocol'
import { OwnerKey } from '../owner-key'
import { CsvUpload } from './csv-upload'
import { DatasetSummary } from './dataset-summary'
import { JobForm } from './job-form'
import { JobList } from './job-list'

/** The /dashboard page: key, upload, inspect, configure, and the job list. */
export function Dashboard() {
  const [dataset, setDataset] = useState<DatasetView | null>(null)
  return (
    <div className="stack">
      <OwnerKey />
      <CsvUpload onUploaded={setDataset} />
      {dataset && (
        <>
          <DatasetSummary dataset={dataset} />
          <JobForm key={dataset.id} dataset={dataset} />
        </>
      )}
      <JobList />
    </div>
  )
}
