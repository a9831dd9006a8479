'use client'

import { useState } from 'react'
import type { DatasetView } from '@/lib/protocol'
import { AccountPanel } from '../accounts/account-panel'
import { OwnerKey } from '../owner-key'
import { withRole, type ColumnRoles } from './column-roles'
import { CsvUpload } from './csv-upload'
import { DatasetSummary } from './dataset-summary'
import { JobForm } from './job-form'
import { JobList } from './job-list'
import { PaperPlanner } from './paper-planner'
import { WizardSteps } from './wizard-steps'

/** The /dashboard page: key, upload, inspect (and override column roles), configure, and the job list. */
export function Dashboard() {
  const [dataset, setDataset] = useState<DatasetView | null>(null)
  const [roles, setRoles] = useState<ColumnRoles>({})

  function onUploaded(d: DatasetView) {
    setDataset(d)
    setRoles({})
  }

  return (
    <div className="stack">
      <AccountPanel />
      <OwnerKey />
      <WizardSteps current={dataset ? 1 : 0} />
      <CsvUpload onUploaded={onUploaded} />
      {dataset && (
        <>
          <DatasetSummary dataset={dataset} roles={roles} onRoleChange={(c, r) => setRoles((prev) => withRole(prev, c, r))} />
          <JobForm key={dataset.id} dataset={dataset} roles={roles} />
        </>
      )}
      <JobList />
      <PaperPlanner />
    </div>
  )
}
