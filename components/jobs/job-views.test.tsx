import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it, vi } from 'vitest'
import type { JobView } from '@/lib/protocol'
import { JobCharts } from './job-charts'
import { JobSummary } from './job-summary'
import { TestReport } from './test-report'

vi.mock('next/link', () => ({ default: ({ href, children }: { href: string; children: unknown }) => <a href={href}>{children as never}</a> }))

const base: JobView = {
  id: 'job_1',
  name: 'iris',
  type: 'train',
  task: 'classification',
  status: 'succeeded',
  progress: 1,
  round: 6,
  totalRounds: 10,
  metrics: { loss: 0.3, accuracy: 0.9, valLoss: 0.35, valAccuracy: 0.88, valF1: 0.87, valAuc: 0.95 },
  test: {
    rows: 30,
    loss: 0.3,
    accuracy: 0.9,
    precision: 0.91,
    recall: 0.9,
    f1: 0.9,
    auc: 0.97,
    confusion: [
      [10, 0, 0],
      [0, 8, 2],
      [0, 1, 9],
    ],
    roc: { fpr: [0, 0.1, 1], tpr: [0, 0.9, 1] },
  },
  validation: null,
  bytesMoved: { down: 2_500_000, up: 40_000 },
  stoppedEarly: true,
  bestRound: 3,
  outputs: null,
  history: [1, 2, 3, 4, 5, 6].map((r) => ({ round: r, at: '', devices: 1, loss: 1 / r, accuracy: 0.5, valLoss: 1 / r, valAccuracy: 0.5, valF1: 0.5, valAuc: 0.6 })),
  devices: [],
  tasks: { total: 6, done: 6, running: 0, reassigned: 0 },
  datasetId: 'ds_1',
  target: 'species',
  classes: ['setosa', 'versicolor', 'virginica'],
  config: { template: 'mlp', algorithm: { type: 'diloco', outerLearningRate: 0.7 } },
  error: null,
  createdAt: '2025-01-01T00:00:00Z',
  updatedAt: '2025-01-01T00:00:00Z',
}

describe('job views', () => {
  it('renders the classification test report with a confusion matrix and ROC curve', () => {
    const html = renderToStaticMarkup(<TestReport job={base} />)
    expect(html).toContain('data-testid="confusion-matrix"')
    expect(html).toContain('data-testid="roc-curve"')
    expect(html).toContain('AUC 0.970')
    expect(html).toMatch(/<th scope="row"><span class="visually-hidden">Actual <\/span>versicolor<\/th>/)
    expect(html).toContain('data-share="0.800"')
  })

  it('summarises early stopping, bytes and algorithm, and marks the best round', () => {
    const html = renderToStaticMarkup(<JobSummary job={base} />)
    expect(html).toContain('Stopped early at round 6 of 10')
    expect(html).toContain('round 3')
    expect(html).toContain('2.4 MB')
    expect(html).toContain('DiLoCo (outer LR 0.7)')
    expect(html).toContain('data-testid="test-accuracy"')
    expect(renderToStaticMarkup(<JobCharts job={base} />)).toContain('data-testid="f1-auc-chart"')
  })

  it('shows R² as the regression headline, and rows for inference jobs', () => {
    const reg: JobView = { ...base, task: 'regression', classes: [], test: { rows: 20, loss: 2, mse: 2, mae: 1, r2: 0.81 } }
    const html = renderToStaticMarkup(<JobSummary job={reg} />)
    expect(html).toContain('data-testid="test-r2"')
    expect(html).not.toContain('test-accuracy')
    expect(renderToStaticMarkup(<TestReport job={reg} />)).not.toContain('confusion-matrix')
    expect(renderToStaticMarkup(<JobCharts job={reg} />)).toContain('data-testid="r2-chart"')
    const infer: JobView = { ...base, type: 'infer', outputs: { rows: 42, csv: '/x.csv', json: '/x.json' }, config: { sourceJobId: 'job_0' } }
    expect(renderToStaticMarkup(<JobSummary job={infer} />)).toMatch(/data-testid="infer-rows">42</)
  })
})
