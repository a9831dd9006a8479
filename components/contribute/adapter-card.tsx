import type { AdapterInfo } from '@/lib/protocol'
import { formatBytes } from '../format'

/** What WebGPU told us about the GPU, or why there is none. */
export function AdapterCard({ adapter }: { adapter: AdapterInfo | null }) {
  return (
    <section className="card" aria-labelledby="adapter-title" data-testid="adapter">
      <h2 id="adapter-title">Graphics adapter</h2>
      {adapter ? (
        <dl className="dl">
          <dt>Vendor</dt>
          <dd>{adapter.vendor || 'unknown'}</dd>
          <dt>Architecture</dt>
          <dd>{adapter.architecture || 'unknown'}</dd>
          {adapter.description && (
            <>
              <dt>Description</dt>
              <dd>{adapter.description}</dd>
            </>
          )}
          <dt>Fallback adapter</dt>
          <dd>{adapter.isFallbackAdapter ? 'yes (software, slow)' : 'no'}</dd>
          <dt>Max buffer size</dt>
          <dd>{formatBytes(adapter.maxBufferSize)}</dd>
          <dt>Max storage binding</dt>
          <dd>{formatBytes(adapter.maxStorageBufferBindingSize)}</dd>
        </dl>
      ) : (
        <p>WebGPU not available in this browser. This device still helps on WASM or CPU.</p>
      )}
    </section>
  )
}
