/** REST bodies and views: the dashboard, the README and /api/openapi.json all use these. */
import { z } from 'zod'
import { Activation, Optimizer, Template } from './model'
import { Backend } from './device'

export const ColumnType = z.enum(['numeric', 'categorical', 'boolean', 'text', 'empty'])
export type ColumnType = z.infer<typeof ColumnType>

export const ColumnInfo = z.object({
  name: z.string(),
  type: ColumnType,
  /** Empty cells. */
  missing: z.number().int().nonnegative(),
  /** Distinct non-empty values (capped at 1000 when counted). */
  distinct: z.number().int().nonnegative(),
})
export type ColumnInfo = z.infer<typeof ColumnInfo>

export const DatasetView = z.object({
  id: z.string(),
  name: z.string(),
  rows: z.number().int(),
  bytes: z.number().int(),
  columns: z.array(ColumnInfo),
  /** The first rows as strings, for the dashboard's preview. */
  preview: z.array(z.array(z.string())),
  createdAt: z.string(),
})
export type DatasetView = z.infer<typeof DatasetView>

export const CreateTrainJobBody = z.object({
  type: z.literal('train'),
  datasetId: z.string().min(1).max(64),
  target: z.string().min(1).max(500),
  model: z.object({
    template: Template,
    hidden: z.array(z.number().int().min(1).max(4096)).max(8).optional(),
    activation: Activation.optional(),
  }),
  /** Rounds of distributed training; each round every shard is trained once (one local epoch by default). */
  epochs: z.number().int().min(1).max(1000).optional(),
  batchSize: z.number().int().min(1).max(65_536).optional(),
  learningRate: z.number().positive().max(10).optional(),
  optimizer: Optimizer.optional(),
  localEpochs: z.number().int().min(1).max(100).optional(),
  validationSplit: z.number().min(0).max(0.5).optional(),
  /** Rows held out for the final test figures (never trained on). */
  testSplit: z.number().min(0).max(0.5).optional(),
  seed: z.number().int().optional(),
  name: z.string().max(200).optional(),
})
export type CreateTrainJobBody = z.infer<typeof CreateTrainJobBody>

export const CreateJobBody = z.discriminatedUnion('type', [CreateTrainJobBody])
export type CreateJobBody = z.infer<typeof CreateJobBody>

export const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled'])
export type JobStatus = z.infer<typeof JobStatus>

export const Metrics = z.object({
  loss: z.number().nullable(),
  accuracy: z.number().nullable(),
  valLoss: z.number().nullable(),
  valAccuracy: z.number().nullable(),
})
export type Metrics = z.infer<typeof Metrics>

/** One point of the live curves: the coordinator's own evaluation after a round. */
export const RoundPoint = Metrics.extend({ round: z.number().int(), at: z.string(), devices: z.number().int() })
export type RoundPoint = z.infer<typeof RoundPoint>

export const JobDevice = z.object({ id: z.string(), name: z.string(), backend: z.string(), tasks: z.number().int() })

export const JobView = z.object({
  id: z.string(),
  name: z.string(),
  type: z.literal('train'),
  status: JobStatus,
  /** 0..1 */
  progress: z.number(),
  round: z.number().int(),
  totalRounds: z.number().int(),
  metrics: Metrics,
  /** Accuracy and loss on the held-out test rows, once the job has succeeded. */
  test: z.object({ loss: z.number(), accuracy: z.number(), rows: z.number().int() }).nullable(),
  history: z.array(RoundPoint),
  devices: z.array(JobDevice),
  tasks: z.object({ total: z.number().int(), done: z.number().int(), running: z.number().int(), reassigned: z.number().int() }),
  datasetId: z.string(),
  target: z.string(),
  classes: z.array(z.string()),
  config: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type JobView = z.infer<typeof JobView>

export const Prediction = z.object({ label: z.string(), probability: z.number() })
export const PredictResponse = z.object({ predictions: z.array(Prediction) })
export type PredictResponse = z.infer<typeof PredictResponse>

export const NetworkView = z.object({
  devicesOnline: z.number().int(),
  byBackend: z.record(z.string(), z.number().int()),
  totalGflops: z.number(),
  devices: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      kind: z.string(),
      backend: Backend,
      gflops: z.number(),
      busy: z.boolean(),
      tasksDone: z.number().int(),
      connectedAt: z.string(),
    }),
  ),
  tasks: z.object({ ready: z.number().int(), leased: z.number().int(), done: z.number().int() }),
})
export type NetworkView = z.infer<typeof NetworkView>
