/**
 * Token amounts for verified work, in base units (18 decimals), computed exactly with bigints.
 *
 * The one rounding rule: each credit row's FLOP estimate is rounded to the nearest whole FLOP
 * (`creditFlops`); an address's FLOPs are summed exactly; the token rate (tokens per verified
 * TFLOP, a decimal from the price table) is read as an exact decimal fraction; the product is
 * floored ONCE, on the address's cumulative total (`tokensForFlops`). Because the total only
 * grows, the floor never compounds across epochs and an address is never paid more than
 * `flops / 1e12 × rate` tokens. With the default rate (0.0015) a FLOP is exactly 1500 base
 * units, so nothing is lost to rounding at all.
 */
export const TOKEN_DECIMALS = 18
const ONE_TOKEN = 10n ** BigInt(TOKEN_DECIMALS)
const FLOPS_PER_TFLOP = 10n ** 12n

/** A non-negative decimal (number or string, exponent form allowed) as numerator / 10^scale. */
export function exactDecimal(value: number | string): { numerator: bigint; scale: number } {
  const s = typeof value === 'number' ? numberToDecimal(value) : value.trim()
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(s)
  if (!m) throw new RangeError(`not a non-negative decimal: ${String(value)}`)
  const digits = (m[1] + (m[2] ?? '')).replace(/^0+(?=\d)/, '')
  let scale = (m[2]?.length ?? 0) - Number(m[3] ?? 0)
  let numerator = BigInt(digits)
  if (scale < 0) {
    numerator *= 10n ** BigInt(-scale)
    scale = 0
  }
  return { numerator, scale }
}

function numberToDecimal(n: number): string {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`not a non-negative finite number: ${n}`)
  // String(n) is the shortest decimal that reads back as n: 0.0015 stays 0.0015, not its binary expansion.
  return String(n)
}

/** A credit row's FLOPs as a whole number (rounded to nearest; estimates are not negative). */
export function creditFlops(flops: number): bigint {
  if (!Number.isFinite(flops) || flops < 0) throw new RangeError(`credit flops must be a non-negative finite number, got ${flops}`)
  return BigInt(Math.round(flops))
}

/** Base units earned for `flops` verified FLOPs at `ratePerTflop` tokens per TFLOP, floored. */
export function tokensForFlops(flops: bigint, ratePerTflop: number | string): bigint {
  const { numerator, scale } = exactDecimal(ratePerTflop)
  return (flops * numerator * ONE_TOKEN) / (FLOPS_PER_TFLOP * 10n ** BigInt(scale))
}

/** Base units as a token figure with up to `digits` decimals, for people (never for arithmetic). */
export function formatTokens(units: bigint, digits = 6): string {
  const whole = units / ONE_TOKEN
  const frac = (units % ONE_TOKEN).toString().padStart(TOKEN_DECIMALS, '0').slice(0, digits).replace(/0+$/, '')
  return frac ? `${whole}.${frac}` : `${whole}`
}
