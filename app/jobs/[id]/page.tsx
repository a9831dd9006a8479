import type { Metadata } from 'next'
import { JobLive } from '@/components/jobs/job-live'

export const metadata: Metadata = { title: 'Job' }

type Props = { params: Promise<{ id: string }> }

export default async function JobPage({ params }: Props) {
  const { id } = await params
  return <JobLive id={id} />
}
