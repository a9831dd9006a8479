import type { JobView } from '@/lib/protocol'
import { formatBytes } from '../format'

type Pipeline = NonNullable<JobView['pipeline']>

/**
 * The segmentation plan of a pipeline job, drawn as one bar: a block per segment, as wide
 * as its share of the model's parameters, with its layers, size, planned device and the
 * devices that actually ran it (a stage moves when its device leaves).
 */
export function PipelinePlan({ pipeline }: { pipeline: Pipeline }) {
  const total = pipeline.segments.reduce((a, s) => a + s.params, 0) || 1
  return (
    <section className="card" aria-labelledby="pipeline-title" data-testid="pipeline-plan">
      <h2 id="pipeline-title">Segmentation plan</h2>
      <p className="muted">
        {pipeline.segments.length} segments · {pipeline.microBatches} micro-batches of {pipeline.microBatchRows} rows · bubble {(pipeline.bubbleFraction * 100).toFixed(1)}% · slowest stage{' '}
        {(pipeline.bottleneckSec * 1000).toFixed(1)} ms per micro-batch (planned)
      </p>
      <div className="pipeline-bar" role="list" aria-label="segments">
        {pipeline.segments.map((s) => (
          <div
            key={s.stage}
            role="listitem"
            className="pipeline-segment"
            style={{ flexGrow: Math.max(0.04, s.params / total) }}
            title={`Stage ${s.stage}: layers ${s.from}–${s.to - 1}, ${s.params.toLocaleString()} parameters, needs ${formatBytes(s.memoryBytes)}; planned on ${s.plannedDevice}; ran on ${s.ranOn.join(', ') || '—'}`}
          >
            <strong>{s.stage}</strong>
            <span>
              {s.done}/{pipeline.microBatches}
            </span>
          </div>
        ))}
      </div>
      <table className="table compact">
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col">Layers</th>
            <th scope="col">Parameters</th>
            <th scope="col">Memory</th>
            <th scope="col">Planned device</th>
            <th scope="col">Ran on</th>
            <th scope="col">Micro-batches done</th>
          </tr>
        </thead>
        <tbody>
          {pipeline.segments.map((s) => (
            <tr key={s.stage}>
              <td>{s.stage}</td>
              <td>
                {s.from}–{s.to - 1}
              </td>
              <td>{s.params.toLocaleString()}</td>
              <td>{formatBytes(s.memoryBytes)}</td>
              <td>
                <code>{s.plannedDevice}</code>
              </td>
              <td>{s.ranOn.map((d) => <code key={d}>{d} </code>)}</td>
              <td>
                {s.done}/{pipeline.microBatches}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
