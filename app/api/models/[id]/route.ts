import { route } from '../../_lib/http'

export const dynamic = 'force-dynamic'
export const GET = route<{ id: string }>({ auth: 'owner' }, ({ c, params, who }) => c.getModel(who, params.id))
