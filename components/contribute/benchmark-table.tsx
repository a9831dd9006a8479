import type { Backend, BenchmarkResult } from '@/lib/protocol'
import { formatGflops } from '../format'

/** Measured GFLOP/s per backend; the chosen one is highlighted. */
export function BenchmarkTable({ benchmarks, chosen, memoryBudget }: { benchmarks: BenchmarkResult[]; chosen: Backend; memoryBudget: number }) {
  return (
    <section className="card" aria-labelledby="bench-title">
      <h2 id="bench-title">Benchmark</h2>
      <p>
        Using <code data-testid="backend">{chosen}</code>
        <span className="muted small"> · memory budget {Math.round(memoryBudget / 2 ** 20)} MB</span>
      </p>
      <div className="table-wrap" tabIndex={0}>
        <table data-testid="benchmarks">
          <thead>
            <tr>
              <th scope="col">Backend</th>
              <th scope="col" className="num">
                Speed
              </th>
              <th scope="col" className="num">
                Matrix size
              </th>
              <th scope="col">Note</th>
            </tr>
          </thead>
          <tbody>
            {benchmarks.map((b) => (
              <tr key={b.backend} className={b.backend === chosen ? 'chosen' : undefined}>
                <th scope="row" style={{ background: 'transparent', textTransform: 'none', fontSize: '0.9rem' }}>
                  {b.backend}
                </th>
                <td className="num">{b.error ? '—' : formatGflops(b.gflops)}</td>
                <td className="num">
                  {b.size}×{b.size}
                </td>
                <td>{b.error ? <span className="field-error">{b.error}</span> : b.backend === chosen ? 'chosen' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
