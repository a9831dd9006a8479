import type { JobView } from '@/lib/protocol'
import { Stat } from '../stat'

/** Who did the work, and how the tasks stand. */
export function JobDevices({ job }: { job: JobView }) {
  const t = job.tasks
  return (
    <section className="card" aria-labelledby="job-devices-title">
      <h2 id="job-devices-title">Work</h2>
      <div className="stats" style={{ marginBottom: '1rem' }}>
        <Stat label="Tasks done" value={`${t.done} / ${t.total}`} testId="job-tasks-done" />
        <Stat label="Running" value={t.running} testId="job-tasks-running" />
        <Stat label="Reassigned" value={t.reassigned} testId="job-tasks-reassigned" />
      </div>
      {job.devices.length === 0 ? (
        <p className="muted">No device has worked on this job yet.</p>
      ) : (
        <div className="table-wrap" tabIndex={0}>
          <table data-testid="job-devices">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Backend</th>
                <th scope="col" className="num">
                  Tasks
                </th>
              </tr>
            </thead>
            <tbody>
              {job.devices.map((d) => (
                <tr key={d.id}>
                  <td>{d.name}</td>
                  <td>
                    <code>{d.backend}</code>
                  </td>
                  <td className="num">{d.tasks}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
