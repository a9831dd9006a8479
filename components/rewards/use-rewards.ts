/** An address's rewards from GET /api/rewards/:address, refreshed every few seconds. */
import { useQuery } from '@tanstack/react-query'
import { RewardsView } from '@/lib/protocol'

export function useRewards(address: string | undefined) {
  return useQuery({
    queryKey: ['rewards', address?.toLowerCase()],
    enabled: !!address,
    refetchInterval: 5000,
    queryFn: async () => {
      const res = await fetch(`/api/rewards/${address}`, { cache: 'no-store' })
      const body = await res.json()
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`)
      return RewardsView.parse(body)
    },
  })
}
