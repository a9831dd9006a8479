import type { NetworkView } from '@/lib/protocol'
import { formatGflops } from '../format'

/** Every device online, fastest first. */
export function DeviceTable({ devices }: { devices: NetworkView['devices'] }) {
  if (devices.length === 0) {
    return (
      <p className="muted">
        No devices are online. Open <a href="/contribute">Contribute</a> in a browser tab to add one.
      </p>
    )
  }
  const sorted = [...devices].sort((a, b) => b.gflops - a.gflops)
  return (
    <div className="table-wrap" tabIndex={0}>
      <table data-testid="device-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Backend</th>
            <th scope="col" className="num">
              Speed
            </th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              Tasks done
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((d) => (
            <tr key={d.id}>
              <td>{d.name}</td>
              <td>{d.kind}</td>
              <td>
                <code>{d.backend}</code>
              </td>
              <td className="num">{formatGflops(d.gflops)}</td>
              <td>{d.busy ? <span className="badge badge-running">busy</span> : <span className="badge">idle</span>}</td>
              <td className="num">{d.tasksDone}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
