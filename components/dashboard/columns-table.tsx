import type { ColumnInfo, ColumnRole } from '@/lib/protocol'
import { ROLE_OPTIONS, type ColumnRoles } from './column-roles'

/** The inferred columns, each with a "Use as" override (data-testid `role-<column>`). */
export function ColumnsTable({
  columns,
  roles,
  onRoleChange,
}: {
  columns: ColumnInfo[]
  roles: ColumnRoles
  onRoleChange: (column: string, role: ColumnRole | 'auto') => void
}) {
  return (
    <div className="table-wrap" tabIndex={0} style={{ marginBottom: '1rem' }}>
      <table data-testid="columns-table">
        <thead>
          <tr>
            <th scope="col">Column</th>
            <th scope="col">Type</th>
            <th scope="col">Use as</th>
            <th scope="col" className="num">
              Missing
            </th>
            <th scope="col" className="num">
              Distinct
            </th>
          </tr>
        </thead>
        <tbody>
          {columns.map((c) => {
            const role = roles[c.name]
            return (
              <tr key={c.name} className={role === 'ignore' ? 'row-ignored' : undefined}>
                <td>{c.name}</td>
                <td>
                  <span className="badge">{c.type}</span>
                </td>
                <td>
                  <select
                    className="select-compact"
                    value={role ?? 'auto'}
                    onChange={(e) => onRoleChange(c.name, e.target.value as ColumnRole | 'auto')}
                    aria-label={`Use ${c.name} as`}
                    data-testid={`role-${c.name}`}
                  >
                    <option value="auto">Auto ({c.type})</option>
                    {ROLE_OPTIONS.map((o) => (
                      <option key={o.value} value={o.value}>
                        {o.label}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="num">{c.missing}</td>
                <td className="num">{c.distinct}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
