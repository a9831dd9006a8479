/**
 * Download bandwidth from a timed fetch of the coordinator's probe (1 MiB). The clock and
 * fetch come in, so browsers, the headless worker and tests share it. Undefined when the
 * probe cannot be fetched: bandwidth is a placement hint, never a reason to stop.
 */
export async function measureBandwidth(origin: string, fetchFn: typeof fetch = fetch, clock: () => number = () => performance.now()): Promise<number | undefined> {
  try {
    const t0 = clock()
    const res = await fetchFn(`${origin}/api/probe`, { cache: 'no-store' })
    if (!res.ok) return undefined
    const bytes = (await res.arrayBuffer()).byteLength
    const seconds = Math.max(1e-3, (clock() - t0) / 1000)
    return bytes > 0 ? Math.round(bytes / seconds) : undefined
  } catch {
    return undefined
  }
}
