import { ChainInfoView } from '@/lib/protocol'
import { route } from '../_lib/http'

export const dynamic = 'force-dynamic'
export const GET = route({ auth: 'public' }, async ({ c }) => ChainInfoView.parse(await c.rewards.chainInfo()))
