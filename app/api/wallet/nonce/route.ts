import { SiweNonceView } from '@/lib/protocol'
import { route } from '../../_lib/http'

export const dynamic = 'force-dynamic'
export const POST = route({ auth: 'public' }, async ({ c }) => SiweNonceView.parse(await c.rewards.walletNonce()))
