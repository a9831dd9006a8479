import { route } from '../_lib/http'

export const dynamic = 'force-dynamic'
export const GET = route({ auth: 'public' }, ({ c }) => c.network())
