import { describe, expect, it } from 'vitest'
import { creditFlops, exactDecimal, formatTokens, tokensForFlops } from './amounts'

describe('reward amounts', () => {
  it('reads rates as exact decimals, exponent form included', () => {
    expect(exactDecimal(0.0015)).toEqual({ numerator: 15n, scale: 4 })
    expect(exactDecimal(1.5e-7)).toEqual({ numerator: 15n, scale: 8 })
    expect(exactDecimal('2e3')).toEqual({ numerator: 2000n, scale: 0 })
    expect(() => exactDecimal(-1)).toThrow(/non-negative/)
  })
  it('pays exactly 1500 base units per FLOP at 0.0015 tokens per TFLOP', () => {
    expect(tokensForFlops(1n, 0.0015)).toBe(1500n)
    expect(tokensForFlops(10n ** 12n, 0.0015)).toBe(15n * 10n ** 14n) // 0.0015 tokens
  })
  it('floors once, on the total', () => {
    // 1e-19 tokens per TFLOP: 1e12 FLOPs earn 0.1 base unit, floored to 0; 1e13 earn exactly 1.
    expect(tokensForFlops(10n ** 12n, '1e-19')).toBe(0n)
    expect(tokensForFlops(10n ** 13n, '1e-19')).toBe(1n)
  })
  it('rounds each credit row to whole FLOPs and refuses nonsense', () => {
    expect(creditFlops(2.5e9 + 0.4)).toBe(2_500_000_000n)
    expect(() => creditFlops(Number.NaN)).toThrow(/finite/)
  })
  it('formats for people', () => {
    expect(formatTokens(15n * 10n ** 14n)).toBe('0.0015')
    expect(formatTokens(3n * 10n ** 18n)).toBe('3')
  })
})
