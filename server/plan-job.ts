/**
 * Turns an owner's training request into a plan: preprocessing fitted on the training rows
 * only, a seeded (stratified, for classification) train/validation/test split, the model
 * spec, hyper-parameters, the learning-rate schedule, early stopping, the outer algorithm,
 * the data as tensor-pack blobs and the initial weights. Runs when the job is created, so a
 * bad request fails at once with a clear error instead of as a failed job later.
 */
import { classWeights as computeClassWeights, dropMissingTarget, fitPreprocessing, parseCsv, splitRows, takeRows, transformRows } from '../lib/data'
import { checkModelFitsData, initialWeights } from '../lib/compute'
import { weightShapes as builtinShapes } from '../lib/model/shapes'
import { ModelSpec, NimbleError, packTensors, unpackTensors, type BlobRef, type ColumnInfo, type CreateTrainJobBody, type ImageInfo, type TaskType, type TrainHyper } from '../lib/protocol'
import type { BlobStore } from './blobs'
import type { ModelInfo } from './models'
import type { PipelineTraining } from './pipeline-train'
import type { DatasetRow, ModelRow } from './store/schema'

export const DEFAULTS = {
  epochs: 30,
  batchSize: 16,
  learningRate: { logistic: 0.05, linear: 0.05, mlp: 0.05, cnn: 0.005, custom: 0.01 },
  optimizer: 'adam' as const,
  localEpochs: 1,
  validationSplit: 0.2,
  testSplit: 0.15,
  hidden: [16],
  filters: [16, 32],
  activation: 'relu' as const,
  outerLearningRate: 0.7,
  outerMomentum: 0.9,
}

export type DataPart = { ref: BlobRef; rows: number }

/** How rows become model inputs: the tabular preprocessing, or image scaling. Stored with the model. */
export type ImagePrep = { kind: 'image'; width: number; height: number; channels: number; classes: string[]; scale: number; target: 'label'; targetType: 'categorical' }
export type TablePrep = ReturnType<typeof fitPreprocessing>
export type Prep = TablePrep | ImagePrep

export function isImagePrep(p: Prep): p is ImagePrep {
  return (p as ImagePrep).kind === 'image'
}

export type Schedule = { type: 'constant' | 'step' | 'exponential' | 'cosine'; gamma: number; stepRounds: number; minLearningRate: number }

export type Plan = {
  kind: 'train'
  task: TaskType
  prep: Prep
  classes: string[]
  model: ModelSpec
  weightShapes: { name: string; shape: number[] }[]
  hyper: Omit<TrainHyper, 'seed'>
  schedule: Schedule
  earlyStopping: { patience: number; minDelta: number } | null
  algorithm: { type: 'fedavg' | 'diloco'; outerLearningRate: number; outerMomentum: number }
  seed: number
  totalRounds: number
  train: DataPart
  validation: DataPart
  test: DataPart
  initialWeights: BlobRef
  notes: string[]
  /** Data-parallel shard sizes: by device speed (default) or equal. */
  sharding?: 'speed' | 'equal'
  /** Pipeline training (GPipe) instead of data-parallel rounds; rounds are then optimizer steps. */
  pipeline?: PipelineTraining
}

/** The learning rate of a round under the plan's schedule. */
export function roundLearningRate(plan: Plan, round: number): number {
  const base = plan.hyper.learningRate
  const s = plan.schedule
  switch (s.type) {
    case 'step':
      return base * s.gamma ** Math.floor(round / s.stepRounds)
    case 'exponential':
      return base * s.gamma ** round
    case 'cosine':
      return s.minLearningRate + ((base - s.minLearningRate) * (1 + Math.cos((Math.PI * round) / Math.max(1, plan.totalRounds)))) / 2
    default:
      return base
  }
}

type Examples = { x: Float32Array; y: Float32Array; labels: Int32Array | null; rows: number; width: number; outWidth: number; inputShape: number[]; task: TaskType; classes: string[]; prep: Prep; notes: string[] }

function tableExamples(csv: string, columns: ColumnInfo[], req: CreateTrainJobBody, seed: number, split: (labels: Int32Array | null, n: number) => Split): { ex: Examples; split: Split } {
  const parsed = parseCsv(csv)
  const overrides = req.columns
  for (const name of Object.keys(overrides ?? {})) {
    if (!parsed.header.includes(name)) throw new NimbleError({ code: 'unknown_column', field: `columns.${name}`, message: `column override names "${name}", which is not in the dataset; its columns are: ${parsed.header.join(', ')}` })
  }
  const kept = dropMissingTarget(parsed.header, parsed.rows, req.target, parsed.lines)
  const opts = { lines: kept.lines, overrides, text: req.text, task: req.task }
  // A first fit (all rows) only to learn the target's classes for stratification; the
  // features are then fitted on the training rows alone so nothing leaks from held-out rows.
  const probe = fitPreprocessing(parsed.header, kept.rows, columns, req.target, opts)
  const first = transformRows(probe, parsed.header, kept.rows, { requireTarget: true, lines: kept.lines })
  const s = split(first.labels, kept.rows.length)
  const prep = fitPreprocessing(parsed.header, kept.rows, columns, req.target, { ...opts, fitRows: s.train })
  const t = transformRows(prep, parsed.header, kept.rows, { requireTarget: true, lines: kept.lines })
  const task: TaskType = prep.classes.length === 0 ? 'regression' : 'classification'
  const notes = [...prep.notes]
  if (kept.dropped) notes.push(`${kept.dropped} row(s) without a value in the target column were left out`)
  return {
    ex: { x: t.x, y: t.y!, labels: t.labels, rows: t.rows, width: prep.inputSize, outWidth: task === 'regression' ? 1 : prep.classes.length, inputShape: [prep.inputSize], task, classes: prep.classes, prep, notes },
    split: s,
  }
}

function imageExamples(blobs: BlobStore, ds: DatasetRow, split: (labels: Int32Array | null, n: number) => Split): { ex: Examples; split: Split } {
  const info = JSON.parse(ds.image_json!) as ImageInfo
  const pack = unpackTensors(blobs.readArrayBuffer(ds.pack_hash!))
  const x = pack.find((t) => t.name === 'x')!
  const lab = pack.find((t) => t.name === 'labels')!
  const n = lab.data.length
  const k = info.classes.length
  const labels = Int32Array.from(lab.data)
  const y = new Float32Array(n * k)
  for (let i = 0; i < n; i++) y[i * k + labels[i]] = 1
  const prep: ImagePrep = { kind: 'image', width: info.width, height: info.height, channels: info.channels, classes: info.classes, scale: 1 / 255, target: 'label', targetType: 'categorical' }
  return {
    ex: { x: x.data, y, labels, rows: n, width: x.shape[1], outWidth: k, inputShape: [info.height, info.width, info.channels], task: 'classification', classes: info.classes, prep, notes: [] },
    split: split(labels, n),
  }
}

type Split = { train: Uint32Array; validation: Uint32Array; test: Uint32Array }

export function buildPlan(blobs: BlobStore, ds: DatasetRow, req: CreateTrainJobBody, custom: { row: ModelRow; info: ModelInfo } | null, maxParams: number): Plan {
  const seed = req.seed ?? 42
  const split = (labels: Int32Array | null, n: number) =>
    splitRows(n, { validation: req.validationSplit ?? DEFAULTS.validationSplit, test: req.testSplit ?? DEFAULTS.testSplit, seed, labels: labels ?? undefined })
  const { ex, split: s } = ds.kind === 'images' ? imageExamples(blobs, ds, split) : tableExamples(blobs.read(ds.blob_hash).toString('utf8'), JSON.parse(ds.columns_json) as ColumnInfo[], req, seed, split)

  const template = req.model.template
  if (template === 'cnn' && ex.inputShape.length !== 3) {
    throw new NimbleError({ code: 'invalid_model', field: 'model.template', message: 'the cnn template needs an image dataset (upload a zip of class folders or idx files); use mlp for tables' })
  }
  if (template === 'linear' && ex.task !== 'regression') {
    throw new NimbleError({ code: 'invalid_model', field: 'model.template', message: `linear regression needs a numeric target; "${req.target}" is a classification target (use logistic)` })
  }
  if (template === 'logistic' && ex.task === 'regression') {
    throw new NimbleError({ code: 'invalid_model', field: 'model.template', message: `"${req.target}" is a numeric target (regression): use the linear or mlp template` })
  }
  if (template === 'custom' && !custom) throw new NimbleError({ code: 'invalid_body', field: 'model.modelId', message: 'the custom template needs model.modelId (upload the model with POST /api/models)' })

  const model: ModelSpec = ModelSpec.parse({
    template,
    task: ex.task,
    inputShape: ex.inputShape,
    inputSize: ex.width,
    outputSize: ex.outWidth,
    hidden: template === 'mlp' ? (req.model.hidden ?? DEFAULTS.hidden) : template === 'cnn' ? (req.model.hidden ?? [64]) : [],
    activation: req.model.activation ?? DEFAULTS.activation,
    dropout: req.model.dropout ?? 0,
    filters: template === 'cnn' ? (req.model.filters ?? DEFAULTS.filters) : [],
    ...(custom ? { topology: JSON.parse(custom.row.topology_json) } : {}),
  })
  let shapes: { name: string; shape: number[] }[]
  let init: BlobRef
  if (custom) {
    checkModelFitsData(custom.info, { inputSize: ex.width, inputShape: ex.inputShape, outputSize: ex.outWidth, task: ex.task })
    shapes = custom.info.weightShapes
    init = custom.row.weights_hash ? { hash: custom.row.weights_hash, bytes: blobs.size(custom.row.weights_hash), url: `/api/blobs/${custom.row.weights_hash}` } : blobs.put(packTensors(initialWeights(model, seed)))
  } else {
    shapes = builtinShapes(model)
    const params = shapes.reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1), 0)
    if (params > maxParams) throw new NimbleError({ code: 'invalid_model', field: 'model', message: `the model has ${params} parameters, over the limit of ${maxParams} (NIMBLE_MAX_MODEL_PARAMS)` })
    init = blobs.put(packTensors(initialWeights(model, seed)))
  }

  const part = (idx: Uint32Array): DataPart => {
    const pack = packTensors([
      { name: 'x', shape: [idx.length, ex.width], data: takeRows(ex.x, ex.width, idx) },
      { name: 'y', shape: [idx.length, ex.outWidth], data: takeRows(ex.y, ex.outWidth, idx) },
    ])
    return { ref: blobs.put(pack), rows: idx.length }
  }
  const trainLabels = ex.labels ? Int32Array.from(s.train, (i) => ex.labels![i]) : null
  const weights = ex.task === 'classification' && req.classWeights && req.classWeights !== 'none' && trainLabels ? computeClassWeights(trainLabels, ex.classes.length, req.classWeights, ex.classes) : undefined
  const optimizer = req.optimizer ?? DEFAULTS.optimizer
  return {
    kind: 'train',
    task: ex.task,
    prep: ex.prep,
    classes: ex.classes,
    model,
    weightShapes: shapes,
    hyper: {
      localEpochs: req.localEpochs ?? DEFAULTS.localEpochs,
      ...(req.localSteps ? { localSteps: req.localSteps } : {}),
      batchSize: req.batchSize ?? DEFAULTS.batchSize,
      learningRate: req.learningRate ?? DEFAULTS.learningRate[template],
      optimizer,
      ...(optimizer === 'momentum' ? { momentum: req.momentum ?? 0.9 } : {}),
      ...(weights ? { classWeights: weights } : {}),
    },
    schedule: {
      type: req.schedule?.type ?? 'constant',
      gamma: req.schedule?.gamma ?? 0.5,
      stepRounds: req.schedule?.stepRounds ?? 10,
      minLearningRate: req.schedule?.minLearningRate ?? 0,
    },
    earlyStopping: req.earlyStopping ? { patience: req.earlyStopping.patience, minDelta: req.earlyStopping.minDelta ?? 0 } : null,
    algorithm: {
      type: req.algorithm?.type ?? 'fedavg',
      outerLearningRate: req.algorithm?.outerLearningRate ?? DEFAULTS.outerLearningRate,
      outerMomentum: req.algorithm?.outerMomentum ?? DEFAULTS.outerMomentum,
    },
    seed,
    totalRounds: req.epochs ?? DEFAULTS.epochs,
    train: part(s.train),
    validation: part(s.validation),
    test: part(s.test),
    initialWeights: init,
    notes: ex.notes,
    sharding: req.sharding ?? 'speed',
  }
}
