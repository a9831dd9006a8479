'use client'

import { useEffect, useState } from 'react'
import { LeaderboardView } from '@/lib/protocol'
import { api } from '../api-client'

/**
 * GET /api/leaderboard, fetched again whenever `version` changes: the page bumps it on each
 * `device:stats` push (a result was accepted), so standings follow the work without polling.
 */
export function useLeaderboard(deviceId: string | null, version: number) {
  const [board, setBoard] = useState<LeaderboardView | null>(null)
  const [failed, setFailed] = useState(false)
  useEffect(() => {
    const ctrl = new AbortController()
    const q = deviceId ? `?device=${encodeURIComponent(deviceId)}` : ''
    api(`/api/leaderboard${q}`, { parse: LeaderboardView.parse, signal: ctrl.signal })
      .then((b) => {
        setBoard(b)
        setFailed(false)
      })
      .catch(() => {
        if (!ctrl.signal.aborted) setFailed(true)
      })
    return () => ctrl.abort()
  }, [deviceId, version])
  return { board, failed }
}
