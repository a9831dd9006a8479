/**
 * Turns an owner's training request into a plan: preprocessing fitted on the data,
 * a seeded stratified train/validation/test split, the model spec, hyper-parameters,
 * the data as tensor-pack blobs and the initial weights. Runs when the job is created,
 * so a bad request (unknown target, text where numbers are needed) fails at once with
 * a clear error instead of as a failed job later.
 */
import { z } from 'zod'
import { fitPreprocessing, parseCsv, splitRows, takeRows, transformRows, type Preprocessing } from '../lib/data'
import { initialWeights } from '../lib/compute'
import { BlobRef, ModelSpec, packTensors, type ColumnInfo, type CreateTrainJobBody, type TrainHyper } from '../lib/protocol'
import type { BlobStore } from './blobs'

export const DEFAULTS = {
  epochs: 30,
  batchSize: 16,
  learningRate: 0.05,
  optimizer: 'adam' as const,
  localEpochs: 1,
  validationSplit: 0.2,
  testSplit: 0.15,
  hidden: [16],
  activation: 'relu' as const,
}

const DataPart = z.object({ ref: BlobRef, rows: z.number().int() })

export type Plan = {
  prep: Preprocessing
  model: ModelSpec
  hyper: Omit<TrainHyper, 'seed'>
  seed: number
  totalRounds: number
  train: z.infer<typeof DataPart>
  validation: z.infer<typeof DataPart>
  test: z.infer<typeof DataPart>
  initialWeights: BlobRef
}

export function buildPlan(blobs: BlobStore, csv: string, columns: ColumnInfo[], req: CreateTrainJobBody): Plan {
  const { header, rows, lines } = parseCsv(csv)
  const prep = fitPreprocessing(header, rows, columns, req.target, { lines })
  const { x, y, labels } = transformRows(prep, header, rows, { requireTarget: true, lines })
  const n = rows.length
  const width = prep.inputSize
  const classes = prep.classes.length
  const seed = req.seed ?? 42
  const split = splitRows(n, {
    validation: req.validationSplit ?? DEFAULTS.validationSplit,
    test: req.testSplit ?? DEFAULTS.testSplit,
    seed,
    labels: labels ?? undefined,
  })
  const part = (idx: Uint32Array) => {
    const pack = packTensors([
      { name: 'x', shape: [idx.length, width], data: takeRows(x, width, idx) },
      { name: 'y', shape: [idx.length, classes], data: takeRows(y!, classes, idx) },
    ])
    return { ref: blobs.put(pack), rows: idx.length }
  }
  const model: ModelSpec = ModelSpec.parse({
    template: req.model.template,
    inputSize: width,
    outputSize: Math.max(2, classes),
    hidden: req.model.template === 'mlp' ? (req.model.hidden ?? DEFAULTS.hidden) : [],
    activation: req.model.activation ?? DEFAULTS.activation,
  })
  const weights = blobs.put(packTensors(initialWeights(model, seed)))
  return {
    prep,
    model,
    hyper: {
      localEpochs: req.localEpochs ?? DEFAULTS.localEpochs,
      batchSize: req.batchSize ?? DEFAULTS.batchSize,
      learningRate: req.learningRate ?? DEFAULTS.learningRate,
      optimizer: req.optimizer ?? DEFAULTS.optimizer,
    },
    seed,
    totalRounds: req.epochs ?? DEFAULTS.epochs,
    train: part(split.train),
    validation: part(split.validation),
    test: part(split.test),
    initialWeights: weights,
  }
}
