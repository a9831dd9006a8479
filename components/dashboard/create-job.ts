/** POST /api/jobs for a training or a batch-inference job; resolves to the new job's id. */
import { z } from 'zod'
import type { CreateJobBody } from '@/lib/protocol'
import { api } from '../api-client'

const Created = z.union([z.object({ id: z.string() }), z.object({ job: z.object({ id: z.string() }) }).transform((r) => r.job)])

export async function createJob(body: CreateJobBody): Promise<string> {
  const { id } = await api('/api/jobs', { method: 'POST', body, parse: Created.parse })
  return id
}

export const jobHref = (id: string) => `/jobs/${encodeURIComponent(id)}`
