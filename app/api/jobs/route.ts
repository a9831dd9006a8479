import { CreateJobBody } from '@/lib/protocol'
import { json, readJson, route } from '../_lib/http'

export const dynamic = 'force-dynamic'

export const POST = route({ auth: 'owner' }, async ({ req, c, who }) => json(await c.createJob(who, await readJson(req, CreateJobBody)), 201))

export const GET = route({ auth: 'owner' }, async ({ c, who }) => ({ jobs: await c.listJobs(who) }))
