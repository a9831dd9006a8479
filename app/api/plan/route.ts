import { PaperPlanQuery, type PaperPlanView } from '@/lib/protocol'
import { formatPaperPlan, parseBandwidth, parseByteSize, planOnPaper } from '@/lib/model/paper-plan'
import { route } from '../_lib/http'

export const dynamic = 'force-dynamic'

/**
 * The planner on paper: how a model of `params` parameters would be cut into segments for
 * devices of `deviceMemory` (e.g. 8GiB) on `bandwidth` (e.g. 100Mbit), with the bubble and
 * the expected throughput. GET /api/plan?params=100e9&deviceMemory=8GiB&bandwidth=100Mbit&microBatches=32
 */
export const GET = route({ auth: 'public' }, async ({ req }) => {
  const q = PaperPlanQuery.parse(Object.fromEntries(new URL(req.url).searchParams))
  const plan = planOnPaper({
    params: q.params,
    deviceMemoryBytes: parseByteSize(q.deviceMemory, 'deviceMemory'),
    bandwidthBytesPerSec: parseBandwidth(q.bandwidth, 'bandwidth'),
    microBatches: q.microBatches,
    layers: q.layers,
    gflops: q.gflops,
    training: q.training === 'true',
  })
  const view: PaperPlanView = {
    devicesNeeded: plan.devicesNeeded,
    segments: plan.plan.segments.length,
    bottleneckSec: plan.plan.bottleneckSec,
    bubbleFraction: plan.stats.bubbleFraction,
    expectedSec: plan.stats.expectedSec,
    rowsPerSec: plan.stats.rowsPerSec,
    bytesBetweenStagesPerMicroBatch: plan.stats.bytesBetweenStagesPerMicroBatch,
    segmentParams: plan.plan.segments.map((s) => s.params),
    text: formatPaperPlan(plan),
  }
  return view
})
