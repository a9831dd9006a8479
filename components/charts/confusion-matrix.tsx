import { useId } from 'react'

/**
 * A confusion matrix heat map as a real table: actual classes down the rows (row headers),
 * predicted across (column headers), counts in the cells, colour by the share of the row.
 */
export function ConfusionMatrix({ matrix, labels, testId }: { matrix: number[][]; labels: string[]; testId?: string }) {
  const id = useId()
  const name = (i: number) => labels[i] ?? String(i)
  const n = matrix.length
  return (
    <figure className="confusion" data-testid={testId} style={{ margin: 0 }}>
      <figcaption>
        <h3 id={`${id}-title`}>Confusion matrix</h3>
        <p className="muted small">Rows are the actual class, columns the predicted one; colour shows the share of each actual class. The diagonal is correct.</p>
      </figcaption>
      <div className="table-wrap" tabIndex={0}>
        <table aria-labelledby={`${id}-title`}>
          <thead>
            <tr>
              <td className="confusion-corner" rowSpan={2}>
                <span className="muted small">actual ↓ · predicted →</span>
              </td>
              <th scope="colgroup" colSpan={n} className="confusion-axis">
                Predicted
              </th>
            </tr>
            <tr>
              {matrix.map((_, j) => (
                <th scope="col" key={j} className="num">
                  {name(j)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {matrix.map((row, i) => {
              const total = row.reduce((a, b) => a + b, 0)
              return (
                <tr key={i}>
                  <th scope="row">
                    <span className="visually-hidden">Actual </span>
                    {name(i)}
                  </th>
                  {row.map((count, j) => {
                    const share = total ? count / total : 0
                    const pct = Math.round(share * 100)
                    return (
                      <td
                        key={j}
                        className={`num confusion-cell${i === j ? ' confusion-diag' : ''}${share > 0.55 ? ' confusion-strong' : ''}`}
                        style={{ background: `color-mix(in srgb, var(--accent) ${pct}%, var(--surface))` }}
                        title={`actual ${name(i)}, predicted ${name(j)}: ${count} of ${total} (${pct}%)`}
                        data-share={share.toFixed(3)}
                      >
                        {count}
                        <span className="visually-hidden"> ({pct}% of actual {name(i)})</span>
                      </td>
                    )
                  })}
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    </figure>
  )
}
