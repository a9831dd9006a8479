import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { Earned, formatFlops, Leaderboard } from './leaderboard'

describe('leaderboard', () => {
  it('formats work in a readable unit', () => {
    expect(formatFlops(35_100)).toBe('35.1 kFLOP')
    expect(formatFlops(4.56e12)).toBe('4.56 TFLOP')
    expect(formatFlops(12)).toBe('12.0 FLOP')
  })

  it('marks this device and shows its credit', () => {
    const board = { top: [{ rank: 1, name: 'a', creditFlops: 2e9, tokens: 3e-6 }, { rank: 2, name: 'b', creditFlops: 1e9, tokens: 1.5e-6 }], you: { rank: 2, name: 'b', creditFlops: 1e9, tokens: 1.5e-6 } }
    const html = renderToStaticMarkup(<Leaderboard board={board} failed={false} />)
    expect(html.match(/aria-current="true"/g)).toHaveLength(1)
    expect(html).toMatch(/row-you"><td class="num">2<\/td><td>b<\/td>/)
    expect(renderToStaticMarkup(<Earned board={board} />)).toContain('1.00 GFLOP')
  })
})
