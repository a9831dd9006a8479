/**
 * Requests per minute per bucket (an IP address, a key), in memory: a sliding pair of fixed
 * one-minute windows, so a burst at a window edge counts against both. One coordinator process
 * keeps its own counts; that is enough to stop one client from starving the others.
 */
export class RateLimiter {
  private windows = new Map<string, { start: number; count: number; prev: number }>()

  constructor(
    private perMinute: number,
    private now: () => number = Date.now,
  ) {}

  /** Counts one request; returns the seconds to wait when over the limit, else 0. */
  hit(bucket: string): number {
    if (this.perMinute <= 0) return 0
    const t = this.now()
    const start = t - (t % 60_000)
    let w = this.windows.get(bucket)
    if (!w || w.start !== start) {
      const prev = w && w.start === start - 60_000 ? w.count : 0
      w = { start, count: 0, prev }
      this.windows.set(bucket, w)
      if (this.windows.size > 100_000) this.sweep(start)
    }
    // The previous window's share that still overlaps the last 60 s.
    const estimate = w.prev * (1 - (t - start) / 60_000) + w.count
    if (estimate >= this.perMinute) return Math.max(1, Math.ceil((start + 60_000 - t) / 1000))
    w.count++
    return 0
  }

  private sweep(start: number): void {
    for (const [k, w] of this.windows) if (w.start < start - 60_000) this.windows.delete(k)
  }
}
