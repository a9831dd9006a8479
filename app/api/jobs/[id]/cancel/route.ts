import { route } from '../../../_lib/http'

export const dynamic = 'force-dynamic'
export const POST = route<{ id: string }>({ auth: 'owner' }, ({ c, params, who }) => c.cancelJob(who, params.id))
