import { z } from 'zod'
import { Address, RewardsView } from '@/lib/protocol'
import { route } from '../../_lib/http'

export const dynamic = 'force-dynamic'
export const GET = route<{ address: string }>({ auth: 'public' }, async ({ c, params }) => {
  const { address } = z.object({ address: Address }).parse(params)
  return RewardsView.parse(await c.rewards.rewards(address as `0x${string}`))
})
