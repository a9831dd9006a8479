'use client'

import { useEffect, useState } from 'react'
import type { NetworkView } from '@/lib/protocol'

export type NetworkSample = { at: number; gflops: number; devices: number; done: number }
const LIMIT = 240
const TICK_MS = 5000

/**
 * The pushed network views since the page opened, as a rolling series: one sample per push,
 * and the last pushed view again every few seconds so the time axis moves while nothing
 * changes (that re-plots what we have; it asks the server nothing).
 */
export function useNetworkHistory(network: NetworkView | null): NetworkSample[] {
  const [samples, setSamples] = useState<NetworkSample[]>([])
  useEffect(() => {
    if (!network) return
    const add = () => setSamples((prev) => [...prev, { at: Date.now(), gflops: network.totalGflops, devices: network.devicesOnline, done: network.tasks.done }].slice(-LIMIT))
    add()
    const timer = setInterval(add, TICK_MS)
    return () => clearInterval(timer)
  }, [network])
  return samples
}

/** Tasks finished per minute between consecutive samples (null for the first). */
export function tasksPerMinute(samples: NetworkSample[]): (number | null)[] {
  return samples.map((s, i) => {
    if (i === 0) return null
    const prev = samples[i - 1]!
    const dt = (s.at - prev.at) / 60_000
    return dt > 0 ? Math.max(0, s.done - prev.done) / dt : null
  })
}
