'use client'

import { useState } from 'react'
import type { DatasetView } from '@/lib/protocol'
import { AccountPanel } from '../accounts/account-panel'
import { useSession } from '../accounts/session-store'
import { OwnerKey } from '../owner-key'
import { withRole, type ColumnRoles } from './column-roles'
import { CsvUpload } from './csv-upload'
import { DatasetSummary } from './dataset-summary'
import { JobForm } from './job-form'
import { JobList } from './job-list'
import { PaperPlanner } from './paper-planner'
import { WizardSteps } from './wizard-steps'

/**
 * The /dashboard page. A newcomer's path is the steps: sign in with a wallet, upload, inspect
 * (and override column roles), configure, submit; pasting an API or admin key is the folded
 * alternative. Then the jobs list, kept current by push.
 */
export function Dashboard() {
  const session = useSession()
  const signedIn = session.state === 'signed-in'
  const [dataset, setDataset] = useState<DatasetView | null>(null)
  const [roles, setRoles] = useState<ColumnRoles>({})

  function onUploaded(d: DatasetView) {
    setDataset(d)
    setRoles({})
  }

  return (
    <div className="stack">
      <WizardSteps current={!signedIn ? 0 : dataset ? 2 : 1} />
      <AccountPanel step={signedIn ? undefined : 1} />
      <OwnerKey />
      {signedIn && <CsvUpload onUploaded={onUploaded} />}
      {signedIn && dataset && (
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
