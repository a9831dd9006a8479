import type { ColumnRole, DatasetView } from '@/lib/protocol'
import { formatBytes, formatNumber } from '../format'
import type { ColumnRoles } from './column-roles'
import { ColumnsTable } from './columns-table'
import { ImageSummary } from './image-summary'

/** What the coordinator understood of the upload: columns (with "Use as" overrides) and first rows, or the image classes. */
export function DatasetSummary({
  dataset,
  roles,
  onRoleChange,
}: {
  dataset: DatasetView
  roles: ColumnRoles
  onRoleChange: (column: string, role: ColumnRole | 'auto') => void
}) {
  const images = dataset.kind === 'images' && dataset.image
  return (
    <section className="card" aria-labelledby="dataset-title" data-testid="dataset" data-kind={dataset.kind}>
      <div className="card-head">
        <h2 id="dataset-title">{dataset.name}</h2>
        <span className="muted">
          <span data-testid="dataset-rows">{formatNumber(dataset.rows, 0)}</span> {images ? 'images' : 'rows'}
          {!images && <> · {dataset.columns.length} columns</>} · {formatBytes(dataset.bytes)}
        </span>
      </div>
      {images ? (
        <ImageSummary image={images} />
      ) : (
        <>
          <h3>Columns</h3>
          <ColumnsTable columns={dataset.columns} roles={roles} onRoleChange={onRoleChange} />
          <h3>First rows</h3>
          <div className="table-wrap" tabIndex={0}>
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
        </>
      )}
    </section>
  )
}
