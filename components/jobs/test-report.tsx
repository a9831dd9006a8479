import type { JobView } from '@/lib/protocol'
import { ConfusionMatrix } from '../charts/confusion-matrix'
import { RocChart } from '../charts/roc-chart'
import { EvalMetricsTable } from './eval-metrics-table'

/** The held-out test rows' final evaluation: metrics, and for classification a confusion matrix and ROC curve. */
export function TestReport({ job }: { job: JobView }) {
  const test = job.test
  if (!test) return null
  const reports = [{ label: 'Test', report: test }, ...(job.validation ? [{ label: 'Validation', report: job.validation }] : [])]
  const rocOf =
    job.classes.length > 2 ? ` (${job.classes[0] ?? 'first class'} vs rest)` : job.classes.length === 2 ? ` (positive: ${job.classes[1]})` : ''
  return (
    <section className="card" aria-labelledby="test-report-title" data-testid="test-report">
      <h2 id="test-report-title">Final test report</h2>
      <p className="muted small">Measured on rows held out from training from the start; the model never saw them.</p>
      <EvalMetricsTable task={job.task} reports={reports} />
      {job.task === 'classification' && (test.confusion || test.roc) && (
        <div className="grid-2" style={{ marginTop: '1rem' }}>
          {test.confusion && test.confusion.length > 0 && <ConfusionMatrix matrix={test.confusion} labels={job.classes} testId="confusion-matrix" />}
          {test.roc && test.roc.fpr.length > 0 && <RocChart fpr={test.roc.fpr} tpr={test.roc.tpr} auc={test.auc} title={`ROC curve${rocOf}`} testId="roc-curve" />}
        </div>
      )}
    </section>
  )
}
