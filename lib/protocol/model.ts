import { z } from 'zod'

export const TEMPLATES = ['logistic', 'linear', 'mlp', 'cnn', 'custom'] as const
export const Template = z.enum(TEMPLATES)
export type Template = z.infer<typeof Template>

export const Activation = z.enum(['relu', 'tanh', 'sigmoid'])

export const TaskType = z.enum(['classification', 'regression'])
export type TaskType = z.infer<typeof TaskType>

/**
 * What a device needs to build the model.
 * - logistic: one Dense(outputSize, softmax) (classification)
 * - linear:   one Dense(1) (regression)
 * - mlp:      Dense(h, activation) [+ Dropout] per hidden size, then the output layer
 * - cnn:      per entry of `filters`: Conv2D(f, 3x3, same, relu) + MaxPooling2D(2); Flatten;
 *             Dense(hidden[0] ?? 64, relu) [+ Dropout]; output layer. Needs an image inputShape.
 * - custom:   the owner's tfjs Layers topology (`topology`, as in model.json's modelTopology)
 * The output layer is softmax over `outputSize` classes for classification, a single linear
 * unit for regression. Built-in layers get fixed names (dense_0, conv_0, …) so weights line up
 * between the coordinator, every device and the exported model.json.
 */
export const ModelSpec = z.object({
  template: Template,
  task: TaskType,
  /** One example's shape: [features] for tables, [height, width, channels] for images. */
  inputShape: z.array(z.number().int().min(1).max(100_000)).min(1).max(3),
  /** Product of inputShape: the width of a row of `x` in data packs. */
  inputSize: z.number().int().min(1).max(10_000_000),
  /** Classes for classification (softmax); 1 for regression. */
  outputSize: z.number().int().min(1).max(10_000),
  hidden: z.array(z.number().int().min(1).max(4096)).max(8),
  activation: Activation,
  dropout: z.number().min(0).max(0.9),
  /** cnn only: filters of each conv block. */
  filters: z.array(z.number().int().min(1).max(512)).max(4),
  /** custom only: the tfjs Layers topology. */
  topology: z.record(z.string(), z.unknown()).optional(),
})
export type ModelSpec = z.infer<typeof ModelSpec>

export const Optimizer = z.enum(['adam', 'sgd', 'momentum'])
export type Optimizer = z.infer<typeof Optimizer>

export const TrainHyper = z.object({
  /** Passes over the shard per task (local epochs). Ignored when `localSteps` is set. */
  localEpochs: z.number().int().min(1).max(100),
  /** When set, the task runs exactly this many mini-batch steps (cycling over the shard). */
  localSteps: z.number().int().min(1).max(100_000).optional(),
  batchSize: z.number().int().min(1).max(65_536),
  /** This round's learning rate (the schedule is applied by the coordinator). */
  learningRate: z.number().positive().max(10),
  optimizer: Optimizer,
  /** For `momentum` (and ignored otherwise). */
  momentum: z.number().min(0).max(0.999).optional(),
  /** Per-class loss weights (classification), index = class. */
  classWeights: z.array(z.number().positive().max(1e6)).max(10_000).optional(),
  /** Seed for the device's shuffling, so a task is reproducible. */
  seed: z.number().int(),
})
export type TrainHyper = z.infer<typeof TrainHyper>
