import { SiweNonceView } from '@/lib/protocol'
import { route } from '../../_lib/http'

export const dynamic = 'force-dynamic'
/** A one-use nonce (10 minutes) for an owner's Sign-In with Ethereum message. */
export const POST = route({ auth: 'public' }, async ({ c }) => SiweNonceView.parse(await c.accounts.nonce()))
