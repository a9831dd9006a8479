import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it, vi } from 'vitest'
import type { DatasetView } from '@/lib/protocol'
import { DatasetSummary } from './dataset-summary'
import { JobForm } from './job-form'

vi.mock('next/navigation', () => ({ useRouter: () => ({ push: () => {} }) }))

const table: DatasetView = {
  id: 'ds_1',
  name: 'x.csv',
  kind: 'table',
  image: null,
  rows: 3,
  bytes: 10,
  columns: [
    { name: 'review', type: 'text', missing: 0, distinct: 3 },
    { name: 'stars', type: 'numeric', missing: 0, distinct: 3 },
  ],
  preview: [['good', '5']],
  createdAt: '',
}
const images: DatasetView = { ...table, kind: 'images', columns: [], preview: [], image: { width: 28, height: 28, channels: 1, classes: ['cat', 'dog'], counts: [3, 4] } }

describe('dashboard', () => {
  it('offers a "Use as" select per column and the task select for tables', () => {
    expect(renderToStaticMarkup(<DatasetSummary dataset={table} roles={{ review: 'ignore' }} onRoleChange={() => {}} />)).toContain('data-testid="role-review"')
    const form = renderToStaticMarkup(<JobForm dataset={table} roles={{}} />)
    for (const id of ['target-select', 'task-select', 'template-select', 'epochs-input', 'lr-input', 'optimizer-select', 'advanced', 'text-features-input']) {
      expect(form).toContain(`data-testid="${id}"`)
    }
  })

  it('shows classes instead of columns for images, hides the target and defaults to a cnn', () => {
    const summary = renderToStaticMarkup(<DatasetSummary dataset={images} roles={{}} onRoleChange={() => {}} />)
    expect(summary).toContain('data-testid="class-counts"')
    expect(summary).not.toContain('columns-table')
    const form = renderToStaticMarkup(<JobForm dataset={images} roles={{}} />)
    expect(form).not.toContain('target-select')
    expect(form).toMatch(/<option value="cnn" selected="">/)
  })
})
