import type { ImageInfo } from '@/lib/protocol'
import { BarChart } from '../charts/bar-chart'
import { formatNumber } from '../format'

const CHANNELS: Record<number, string> = { 1: 'grayscale', 3: 'RGB', 4: 'RGBA' }

/** An image dataset: its classes (the folder names), images per class, and the image shape. */
export function ImageSummary({ image }: { image: ImageInfo }) {
  const data = image.classes.map((label, i) => ({ label, value: image.counts[i] ?? 0 }))
  return (
    <div data-testid="image-summary">
      <dl className="dl" style={{ marginBottom: '1rem' }}>
        <dt>Classes</dt>
        <dd data-testid="image-classes">{formatNumber(image.classes.length, 0)}</dd>
        <dt>Image size</dt>
        <dd data-testid="image-size">
          {image.width} × {image.height} px
        </dd>
        <dt>Channels</dt>
        <dd data-testid="image-channels">
          {image.channels}
          {CHANNELS[image.channels] ? ` (${CHANNELS[image.channels]})` : ''}
        </dd>
      </dl>
      <h3>Images per class</h3>
      <BarChart title="Images per class" data={data} testId="class-counts" />
      <p className="muted small" style={{ marginTop: '0.75rem' }}>
        The label of each image is its folder (or idx label), so there is no column to choose.
      </p>
    </div>
  )
}
