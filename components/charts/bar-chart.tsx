/** Horizontal bars for a handful of labelled counts (e.g. devices per backend). Plain HTML, no SVG needed. */
export function BarChart({ title, data, testId }: { title: string; data: { label: string; value: number }[]; testId?: string }) {
  const max = Math.max(1, ...data.map((d) => d.value))
  return (
    <figure className="bars" style={{ margin: 0 }} aria-label={title} data-testid={testId}>
      {data.length === 0 && <p className="muted">Nothing to show yet.</p>}
      {data.map((d, i) => (
        <div className="bar-row" key={d.label}>
          <span>{d.label}</span>
          <div className="bar-track" aria-hidden="true">
            <div className="bar-fill" style={{ width: `${(d.value / max) * 100}%`, background: `var(--series-${(i % 4) + 1})` }} />
          </div>
          <span className="num" style={{ textAlign: 'right' }}>
            {d.value}
          </span>
        </div>
      ))}
    </figure>
  )
}
