import { ChainStatusView } from '@/lib/protocol'
import { route } from '../../_lib/http'

export const dynamic = 'force-dynamic'
/** Rewards on (with the chain) or off: a 200 either way, so a page asks without a failed request. */
export const GET = route({ auth: 'public' }, async ({ c }) => ChainStatusView.parse(c.rewards.chainStatus()))
