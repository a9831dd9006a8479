/** REST bodies and views: the dashboard, the README and /api/openapi.json all use these. */
import { z } from 'zod'
import { Activation, Optimizer, TaskType, Template } from './model'
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

/** How the owner wants a column used; overrides the inferred type. */
export const ColumnRole = z.enum(['numeric', 'categorical', 'boolean', 'text', 'ignore'])
export type ColumnRole = z.infer<typeof ColumnRole>

export const ImageInfo = z.object({
  width: z.number().int(),
  height: z.number().int(),
  channels: z.number().int(),
  /** Class names (folder names, or the idx labels as strings). */
  classes: z.array(z.string()),
  /** Images per class, same order as classes. */
  counts: z.array(z.number().int()),
})
export type ImageInfo = z.infer<typeof ImageInfo>

export const DatasetView = z.object({
  id: z.string(),
  name: z.string(),
  /** `table` for CSV uploads; `images` for a zip of class folders or idx files. */
  kind: z.enum(['table', 'images']),
  image: ImageInfo.nullable(),
  rows: z.number().int(),
  bytes: z.number().int(),
  columns: z.array(ColumnInfo),
  /** The first rows as strings, for the dashboard's preview. */
  preview: z.array(z.array(z.string())),
  createdAt: z.string(),
})
export type DatasetView = z.infer<typeof DatasetView>

/** What the owner allows a job: tokens, time, and its place in the queue. */
export const JobLimits = {
  /** Tokens the job may cost at most (device-seconds × class price); training stops, keeping the best weights, before the next round would overrun it. */
  budget: z.number().positive().max(1e12).optional(),
  /** Minutes from submission by which the job should be done: tasks go to devices that meet their share of it. */
  deadlineMinutes: z.number().positive().max(60 * 24 * 30).optional(),
  /** Higher is served first when the fleet is short (default 0). */
  priority: z.number().int().min(-10).max(10).optional(),
}

export const CreateTrainJobBody = z.object({
  type: z.literal('train'),
  ...JobLimits,
  datasetId: z.string().min(1).max(64),
  target: z.string().min(1).max(500),
  model: z.object({
    template: Template,
    hidden: z.array(z.number().int().min(1).max(4096)).max(8).optional(),
    activation: Activation.optional(),
    dropout: z.number().min(0).max(0.9).optional(),
    /** cnn: filters per conv block (default [16, 32]). */
    filters: z.array(z.number().int().min(1).max(512)).min(1).max(4).optional(),
    /** custom: a model uploaded with POST /api/models. */
    modelId: z.string().min(1).max(64).optional(),
  }),
  /** Classification or regression; inferred from the target column when absent. */
  task: TaskType.optional(),
  /** Per-column overrides of the inferred types; `ignore` drops a column (IDs, leaks). */
  columns: z.record(z.string(), ColumnRole).optional(),
  /** Text columns become a hashed bag of words of `features` buckets, weighted by tf-idf (default), counts or presence. */
  text: z.object({ features: z.number().int().min(16).max(65_536).optional(), weighting: z.enum(['tfidf', 'count', 'binary']).optional() }).optional(),
  /** `balanced` weighs each class by rows/(classes × rows in class); or explicit weights by class label. */
  classWeights: z.union([z.enum(['none', 'balanced']), z.record(z.string(), z.number().positive().max(1e6))]).optional(),
  momentum: z.number().min(0).max(0.999).optional(),
  /** The learning rate per round: constant, step (× gamma every `stepRounds`), exponential (× gamma per round) or cosine (to `minLearningRate`). */
  schedule: z
    .object({
      type: z.enum(['constant', 'step', 'exponential', 'cosine']),
      gamma: z.number().positive().max(1).optional(),
      stepRounds: z.number().int().min(1).max(1000).optional(),
      minLearningRate: z.number().min(0).max(10).optional(),
    })
    .optional(),
  /** Stop when validation loss has not improved by `minDelta` for `patience` rounds; the best round's weights are kept. */
  earlyStopping: z.object({ patience: z.number().int().min(1).max(1000), minDelta: z.number().min(0).max(1e6).optional() }).optional(),
  /**
   * How each round's results become the next weights. `fedavg`: the example-weighted mean.
   * `diloco`: outer SGD with Nesterov momentum over the mean of the devices' weight deltas.
   */
  algorithm: z
    .object({
      type: z.enum(['fedavg', 'diloco']),
      outerLearningRate: z.number().positive().max(10).optional(),
      outerMomentum: z.number().min(0).max(0.999).optional(),
    })
    .optional(),
  /**
   * How a round's rows are split between devices: `speed` (default) in proportion to each
   * device's measured speed, so a round finishes together; `equal` shards.
   */
  sharding: z.enum(['speed', 'equal']).optional(),
  /** Mini-batch steps per task; when set it replaces localEpochs. */
  localSteps: z.number().int().min(1).max(100_000).optional(),
  /**
   * Train the model as a pipeline of segments across devices (GPipe) instead of data-parallel:
   * each step takes `batchSize` rows, split into micro-batches of `microBatchRows` that flow
   * forward through the segments and back; the coordinator sums each segment's gradients and
   * applies the optimizer to its master weights. For models too big for one device.
   */
  pipeline: z.object({ microBatchRows: z.number().int().min(1).max(65_536).optional() }).optional(),
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

/**
 * Inference. With `sourceJobId`: a trained job's model over a dataset with the same columns
 * (target optional), rows sharded across devices. With `modelId`: an uploaded model, cut into
 * segments that fit the devices and run as a pipeline of micro-batches (the dataset's columns
 * are the model's input features, in order). Exactly one of the two.
 */
export const CreateInferJobBody = z.object({
  type: z.literal('infer'),
  ...JobLimits,
  sourceJobId: z.string().min(1).max(64).optional(),
  modelId: z.string().min(1).max(64).optional(),
  datasetId: z.string().min(1).max(64),
  /** Pipeline: rows per micro-batch (default 64). */
  microBatchRows: z.number().int().min(1).max(65_536).optional(),
  name: z.string().max(200).optional(),
})
export type CreateInferJobBody = z.infer<typeof CreateInferJobBody>

export const CreateJobBody = z.discriminatedUnion('type', [CreateTrainJobBody, CreateInferJobBody])
export type CreateJobBody = z.infer<typeof CreateJobBody>

/** Cost and duration of a job on the fleet online now, before it is submitted. */
export const JobEstimate = z.object({
  /** Devices the job's tasks would run on (capable and in good standing). */
  devices: z.number().int(),
  rounds: z.number().int(),
  tasksPerRound: z.number().int(),
  /** Tokens; null when no device that can run it is online. */
  cost: z.number().nullable(),
  durationMs: z.number().nullable(),
  /** 'measured': devices' observed task times; 'benchmark': some device has not finished a task yet. */
  basis: z.enum(['measured', 'benchmark', 'none']),
  /** Per device class: devices and expected share of the cost. */
  byClass: z.array(z.object({ class: z.string(), devices: z.number().int(), cost: z.number() })),
  notes: z.array(z.string()),
})
export type JobEstimate = z.infer<typeof JobEstimate>

/** Why the scheduler put one task instance where it did, and how it went. */
export const Placement = z.object({
  instanceId: z.number().int(),
  taskId: z.number().int(),
  round: z.number().int(),
  device: z.string(),
  reason: z.string(),
  state: z.string(),
  spare: z.boolean(),
  expectedMs: z.number().nullable(),
  actualMs: z.number().nullable(),
  /** Epoch ms the lease began and the result came back (for the devices timeline). */
  leasedAt: z.number().optional(),
  finishedAt: z.number().nullable().optional(),
  cost: z.number().nullable(),
  late: z.boolean(),
  runnerUp: z.object({ device: z.string(), expectedMs: z.number(), cost: z.number() }).nullable(),
  rejected: z.array(z.object({ device: z.string(), why: z.string() })),
})
export type Placement = z.infer<typeof Placement>

export const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled'])
export type JobStatus = z.infer<typeof JobStatus>

/**
 * Scalar figures after a round, computed by the coordinator itself (never reported by devices).
 * Classification fills accuracy and valF1/valAuc; regression fills the valMae/valR2 family.
 */
export const Metrics = z.object({
  loss: z.number().nullable(),
  accuracy: z.number().nullable(),
  valLoss: z.number().nullable(),
  valAccuracy: z.number().nullable(),
  valF1: z.number().nullable().optional(),
  valAuc: z.number().nullable().optional(),
  valMae: z.number().nullable().optional(),
  valR2: z.number().nullable().optional(),
})
export type Metrics = z.infer<typeof Metrics>

/** A full evaluation on one split. */
export const EvalReport = z.object({
  rows: z.number().int(),
  loss: z.number(),
  // classification
  accuracy: z.number().optional(),
  /** Macro averages over classes. */
  precision: z.number().optional(),
  recall: z.number().optional(),
  f1: z.number().optional(),
  /** Binary: ROC AUC of the positive (second) class; multi-class: macro one-vs-rest. */
  auc: z.number().nullable().optional(),
  /** confusion[actual][predicted] */
  confusion: z.array(z.array(z.number().int())).optional(),
  /** ROC curve points (binary: positive class; multi-class: of the first class vs rest), at most ~101 points. */
  roc: z.object({ fpr: z.array(z.number()), tpr: z.array(z.number()) }).nullable().optional(),
  // regression
  mse: z.number().optional(),
  mae: z.number().optional(),
  r2: z.number().optional(),
})
export type EvalReport = z.infer<typeof EvalReport>

/** One point of the live curves: the coordinator's own evaluation after a round. */
export const RoundPoint = Metrics.extend({ round: z.number().int(), at: z.string(), devices: z.number().int() })
export type RoundPoint = z.infer<typeof RoundPoint>

export const JobDevice = z.object({ id: z.string(), name: z.string(), backend: z.string(), tasks: z.number().int(), rows: z.number().int().optional() })

/** Verification outcomes of a job's tasks: replicated, agreed, settled by majority, rejected, spot-checked. */
export const VerificationCounts = z.object({
  /** Tasks whose result needed more than one agreeing copy. */
  replicated: z.number().int(),
  /** Tasks accepted with every copy agreeing. */
  agreed: z.number().int(),
  /** Tasks whose copies disagreed and a majority decided. */
  disagreed: z.number().int(),
  /** Results rejected: malformed, untrained, outvoted or from a banned device. */
  rejected: z.number().int(),
  /** Tasks the coordinator recomputed itself to check. */
  spotChecked: z.number().int(),
  /** Accepted task instances (each credited once). */
  accepted: z.number().int(),
})
export type VerificationCounts = z.infer<typeof VerificationCounts>

export const JobView = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(['train', 'infer']),
  task: TaskType,
  status: JobStatus,
  /** 0..1 */
  progress: z.number(),
  round: z.number().int(),
  totalRounds: z.number().int(),
  metrics: Metrics,
  /** The held-out test rows' full evaluation, once a training job has succeeded. */
  test: EvalReport.nullable(),
  /** The latest round's full evaluation on the validation rows. */
  validation: EvalReport.nullable(),
  /** Bytes the job moved: blobs devices fetched (weights, data) and results they sent. */
  bytesMoved: z.object({ down: z.number(), up: z.number() }),
  /** Early stopping: true when it ended before totalRounds; bestRound is the round whose weights were kept. */
  stoppedEarly: z.boolean(),
  bestRound: z.number().int().nullable(),
  /** Pipeline jobs: the segments, their sizes and the devices planned for (and that ran) each. */
  pipeline: z
    .object({
      microBatches: z.number().int(),
      microBatchRows: z.number().int(),
      bottleneckSec: z.number(),
      bubbleFraction: z.number(),
      segments: z.array(
        z.object({
          stage: z.number().int(),
          from: z.number().int(),
          to: z.number().int(),
          params: z.number(),
          memoryBytes: z.number(),
          plannedDevice: z.string(),
          ranOn: z.array(z.string()),
          done: z.number().int(),
        }),
      ),
    })
    .nullable()
    .optional(),
  /** Cost so far against the owner's limits, the estimate made at submission, and recent placements. */
  scheduling: z
    .object({
      cost: z.number(),
      budget: z.number().nullable(),
      deadline: z.string().nullable(),
      priority: z.number().int(),
      stoppedBy: z.enum(['budget']).nullable(),
      estimate: JobEstimate.nullable(),
      spares: z.number().int(),
      placements: z.array(Placement),
    })
    .optional(),
  /** Inference jobs: rows predicted so far and where to download them. */
  outputs: z.object({ rows: z.number().int(), json: z.string(), csv: z.string() }).nullable(),
  history: z.array(RoundPoint),
  devices: z.array(JobDevice),
  tasks: z.object({ total: z.number().int(), done: z.number().int(), running: z.number().int(), reassigned: z.number().int() }),
  /** How the job's results were verified (server/verification-view.ts). Optional for older clients. */
  verification: VerificationCounts.optional(),
  datasetId: z.string(),
  target: z.string(),
  classes: z.array(z.string()),
  config: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type JobView = z.infer<typeof JobView>

/** Classification: the most likely label and its probability. Regression: `value` (label is its string form). */
export const Prediction = z.object({ label: z.string(), probability: z.number().nullable(), value: z.number().optional() })
export type Prediction = z.infer<typeof Prediction>
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
      /** Tasks the device holds now, and how many it may hold at once (NIMBLE_DEVICE_MAX_TASKS caps its hello's `slots`). */
      leases: z.number().int().nonnegative().optional(),
      slots: z.number().int().positive().optional(),
      tasksDone: z.number().int(),
      connectedAt: z.string(),
      /** Price class (lib/scheduler/pricing.ts), from backend and measured speed. */
      class: z.string().optional(),
      /** Bytes the device offers (lowered after it runs out of memory). */
      memoryBudget: z.number().optional(),
      rttMs: z.number().nullable().optional(),
      bandwidth: z.number().nullable().optional(),
    }),
  ),
  tasks: z.object({ ready: z.number().int(), leased: z.number().int(), done: z.number().int() }),
  /** Devices ever seen, by trust tier: new (work replicated), trusted (spot-checked), banned. */
  trust: z.object({ new: z.number().int(), trusted: z.number().int(), banned: z.number().int() }).optional(),
  /** Jobs in state running. */
  jobsRunning: z.number().int().optional(),
  /** Tokens earned by volunteers for verified work (credited FLOPs × the volunteer rate). */
  tokensPaid: z.number().optional(),
})
export type NetworkView = z.infer<typeof NetworkView>

/** Top devices by verified credit: public, names and credit only (no ids, no addresses). */
export const LeaderboardEntry = z.object({ rank: z.number().int(), name: z.string(), creditFlops: z.number(), tokens: z.number() })
export const LeaderboardView = z.object({
  top: z.array(LeaderboardEntry),
  /** The asking device's own standing when `?device=` names one. */
  you: LeaderboardEntry.nullable(),
})
export type LeaderboardView = z.infer<typeof LeaderboardView>

/** A model uploaded by its owner (tfjs Layers format), checked for layers Nimble can run and for size. */
export const UploadModelBody = z.object({
  name: z.string().max(200).optional(),
  /** model.json's `modelTopology`. */
  modelTopology: z.record(z.string(), z.unknown()),
  /** model.json's `weightsManifest`, when initial weights are given. */
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()), dtype: z.string() })) })).optional(),
  /** The weights file(s) concatenated, base64. */
  weightData: z.string().optional(),
})
export type UploadModelBody = z.infer<typeof UploadModelBody>

/** A model from a built-in template (JSON form of POST /api/models), stored like an uploaded one with seeded initial weights. */
export const TemplateModelBody = z.object({
  name: z.string().max(200).optional(),
  template: z.enum(['logistic', 'linear', 'mlp', 'cnn']),
  inputShape: z.array(z.number().int().min(1).max(100_000)).min(1).max(3),
  outputSize: z.number().int().min(1).max(10_000),
  hidden: z.array(z.number().int().min(1).max(65_536)).max(64).optional(),
  activation: Activation.optional(),
  dropout: z.number().min(0).max(0.9).optional(),
  filters: z.array(z.number().int().min(1).max(512)).min(1).max(4).optional(),
  seed: z.number().int().optional(),
})
export type TemplateModelBody = z.infer<typeof TemplateModelBody>

export const ModelView = z.object({
  id: z.string(),
  name: z.string(),
  inputShape: z.array(z.number().int()),
  outputUnits: z.number().int(),
  params: z.number().int(),
  layers: z.array(z.object({ className: z.string(), name: z.string() })),
  hasWeights: z.boolean(),
  createdAt: z.string(),
})
export type ModelView = z.infer<typeof ModelView>

/**
 * GET /api/health, readiness: `ok` when the database answers and the coordinator is not
 * draining for shutdown. 200 when ok, 503 (same body) when not, so a proxy takes it out of its pool.
 */
export const HealthView = z.object({
  ok: z.boolean(),
  devices: z.number().int().nonnegative(),
  uptimeSec: z.number().int().nonnegative(),
  db: z.enum(['sqlite', 'postgres']),
  dbReachable: z.boolean(),
  /** How long the database took to answer (or until the probe gave up), ms. */
  dbMs: z.number().nonnegative(),
  node: z.string(),
  redis: z.boolean(),
  draining: z.boolean().optional(),
})
export type HealthView = z.infer<typeof HealthView>

/** GET /api/plan's query: a model of `params` parameters cut for devices of `deviceMemory` (e.g. 8GiB) on `bandwidth` (e.g. 100Mbit). */
export const PaperPlanQuery = z.object({
  params: z.coerce.number().positive().max(1e15),
  deviceMemory: z.string().min(1).max(40),
  bandwidth: z.string().min(1).max(40).default('100Mbit'),
  microBatches: z.coerce.number().int().min(1).max(100_000).default(32),
  layers: z.coerce.number().int().min(1).max(1000).optional(),
  gflops: z.coerce.number().positive().max(1e7).optional(),
  training: z.enum(['true', 'false']).optional(),
})
export type PaperPlanQuery = z.infer<typeof PaperPlanQuery>

export const PaperPlanView = z.object({
  devicesNeeded: z.number().int(),
  segments: z.number().int(),
  bottleneckSec: z.number(),
  bubbleFraction: z.number(),
  expectedSec: z.number(),
  rowsPerSec: z.number(),
  bytesBetweenStagesPerMicroBatch: z.number(),
  segmentParams: z.array(z.number()),
  /** The plan as a few lines of text. */
  text: z.string(),
})
export type PaperPlanView = z.infer<typeof PaperPlanView>
