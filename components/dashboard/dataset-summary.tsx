import type { DatasetView } from '@/lib/protocol'
import { formatBytes, formatNumber } from '../format'

/** What the coordinator understood of the CSV: its columns and first rows. */
export function DatasetSummary({ dataset }: { dataset: DatasetView }) {
  return (
    <section className="card" aria-labelledby="dataset-title" data-testid="dataset">
      <div className="card-head">
        <h2 id="dataset-title">{dataset.name}</h2>
        <span className="muted">
          <span data-testid="dataset-rows">{formatNumber(dataset.rows, 0)}</span> rows · {dataset.columns.length} columns ·{' '}
          {formatBytes(dataset.bytes)}
        </span>
      </div>
      <h3>Columns</h3>
      <div className="table-wrap" style={{ marginBottom: '1rem' }}>
        <table data-testid="columns-table">
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Type</th>
              <th scope="col" className="num">
                Missing
              </th>
              <th scope="col" className="num">
                Distinct
              </th>
            </tr>
          </thead>
          <tbody>
            {dataset.columns.map((c) => (
              <tr key={c.name}>
                <td>{c.name}</td>
                <td>
                  <span className="badge">{c.type}</span>
                </td>
                <td className="num">{c.missing}</td>
                <td className="num">{c.distinct}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>First rows</h3>
      <div className="table-wrap">
        <table data-testid="preview-table">
          <thead>
            <tr>
              {dataset.columns.map((c) => (
                <th scope="col" key={c.name}>
                  {c.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {dataset.preview.map((row, i) => (
              <tr key={i}>
                {dataset.columns.map((c, j) => (
                  <td key={c.name}>{row[j] ?? ''}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
