/** "Nice" axis ticks (1, 2, 5 × 10^k steps), the same idea as d3-scale's ticks, in a few lines. */

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count)
  const power = Math.pow(10, Math.floor(Math.log10(raw)))
  const r = raw / power
  const m = r >= 7.5 ? 10 : r >= 3.5 ? 5 : r >= 1.5 ? 2 : 1
  return m * power
}

/** Widen [min, max] outward to whole steps so the ticks land on the ends. */
export function niceDomain(min: number, max: number, count = 5): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1]
  if (min === max) return min === 0 ? [0, 1] : [Math.min(0, min), Math.max(0, max) || 1]
  const step = niceStep(max - min, count)
  return [Math.floor(min / step) * step, Math.ceil(max / step) * step]
}

export function ticks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min]
  const step = niceStep(max - min, count)
  const out: number[] = []
  const start = Math.ceil(min / step - 1e-9) * step
  for (let v = start; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

/** A linear map from a domain to a pixel range. */
export function linear([d0, d1]: [number, number], [r0, r1]: [number, number]): (v: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0)
  return (v) => r0 + (v - d0) * k
}
