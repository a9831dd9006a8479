import { SettleResult } from '@/lib/protocol'
import { route } from '../../_lib/http'

export const dynamic = 'force-dynamic'
export const POST = route({ auth: 'admin' }, async ({ c }) => SettleResult.parse(await c.rewards.settle()))
