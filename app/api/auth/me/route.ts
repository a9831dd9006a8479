import { WhoAmI } from '@/lib/protocol'
import { route } from '../../_lib/http'

export const dynamic = 'force-dynamic'
/** Who the request's key or session belongs to (401 when signed out). */
export const GET = route({ auth: 'owner' }, async ({ c, who }) => WhoAmI.parse(await c.accounts.whoami(who)))
