import { CreateJobBody } from '@/lib/protocol'
import { readJson, route } from '../../_lib/http'

export const dynamic = 'force-dynamic'

/** POST /api/jobs/estimate: the same body as POST /api/jobs; cost and duration on the fleet online now. Submits nothing. */
export const POST = route({ auth: 'owner' }, async ({ req, c, who }) => c.estimateJob(who, await readJson(req, CreateJobBody)))
