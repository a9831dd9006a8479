import type { LeaderboardView } from '@/lib/protocol'
import { formatTokens } from '../format'

/** Work in the largest FLOP unit that keeps the figure at or above 1 (12.3 MFLOP, 4.56 TFLOP). */
export function formatFlops(flops: number): string {
  const units = ['', 'k', 'M', 'G', 'T', 'P'] as const
  let i = 0
  while (i < units.length - 1 && Math.abs(flops) >= 1000 ** (i + 1)) i++
  return `${(flops / 1000 ** i).toPrecision(3)} ${units[i]}FLOP`
}
const tflop = formatFlops

/** Top devices by verified credit; this device's row is marked. */
export function Leaderboard({ board, failed }: { board: LeaderboardView | null; failed: boolean }) {
  return (
    <section className="card" aria-labelledby="leaderboard-title">
      <h2 id="leaderboard-title">Leaderboard</h2>
      {!board ? (
        <p className="muted">{failed ? 'The leaderboard is unavailable right now.' : 'Loading…'}</p>
      ) : board.top.length === 0 ? (
        <p className="muted">No verified work yet. The first accepted task puts you on top.</p>
      ) : (
        <div className="table-wrap" tabIndex={0}>
          <table data-testid="leaderboard">
            <caption className="visually-hidden">Top devices by verified credit</caption>
            <thead>
              <tr>
                <th scope="col" className="num">
                  #
                </th>
                <th scope="col">Device</th>
                <th scope="col" className="num">
                  Verified work
                </th>
                <th scope="col" className="num">
                  Tokens
                </th>
              </tr>
            </thead>
            <tbody>
              {board.top.map((e) => (
                <tr key={e.rank} aria-current={board.you?.rank === e.rank ? 'true' : undefined} className={board.you?.rank === e.rank ? 'row-you' : undefined}>
                  <td className="num">{e.rank}</td>
                  <td>{e.name}</td>
                  <td className="num">{tflop(e.creditFlops)}</td>
                  <td className="num">{formatTokens(e.tokens)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

/** This device's verified credit and tokens. */
export function Earned({ board }: { board: LeaderboardView | null }) {
  const you = board?.you ?? null
  return (
    <>
      <div className="stat">
        <div className="stat-label">Verified credit</div>
        <div className="stat-value" data-testid="credit-earned">
          {you ? tflop(you.creditFlops) : '—'}
        </div>
      </div>
      <div className="stat">
        <div className="stat-label">Tokens earned</div>
        <div className="stat-value" data-testid="tokens-earned">
          {you ? formatTokens(you.tokens) : '—'}
        </div>
      </div>
    </>
  )
}
