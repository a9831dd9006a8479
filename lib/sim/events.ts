/** Event queue for the simulator (pure): a binary heap by time, ties in insertion order. */
export class EventQueue<E> {
  private items: { at: number; seq: number; e: E }[] = []
  private seq = 0

  get size(): number {
    return this.items.length
  }

  push(at: number, e: E): void {
    const h = this.items
    h.push({ at, seq: this.seq++, e })
    let k = h.length - 1
    while (k > 0) {
      const p = (k - 1) >> 1
      if (!this.less(h[k], h[p])) break
      ;[h[k], h[p]] = [h[p], h[k]]
      k = p
    }
  }

  pop(): { at: number; e: E } | undefined {
    const h = this.items
    if (h.length === 0) return undefined
    const top = h[0]
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let k = 0
      for (;;) {
        let c = 2 * k + 1
        if (c >= h.length) break
        if (c + 1 < h.length && this.less(h[c + 1], h[c])) c++
        if (!this.less(h[c], h[k])) break
        ;[h[k], h[c]] = [h[c], h[k]]
        k = c
      }
    }
    return { at: top.at, e: top.e }
  }

  private less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq)
  }
}
