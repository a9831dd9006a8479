import { CreateJobBody } from '@/lib/protocol'
import { json, readJson, route } from '../_lib/http'

export const dynamic = 'force-dynamic'

export const POST = route({ auth: 'owner' }, async ({ req, c }) => json(await c.createJob(await readJson(req, CreateJobBody)), 201))

export const GET = route({ auth: 'owner' }, async ({ c }) => ({ jobs: await c.listJobs() }))
