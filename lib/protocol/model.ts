import { z } from 'zod'

export const TEMPLATES = ['logistic', 'mlp'] as const
export const Template = z.enum(TEMPLATES)

export const Activation = z.enum(['relu', 'tanh', 'sigmoid'])

/**
 * What a device needs to build the model. Layers get fixed names (dense_0, dense_1, …)
 * so weights line up between the coordinator, every device and the exported model.json.
 */
export const ModelSpec = z.object({
  template: Template,
  inputSize: z.number().int().min(1).max(100_000),
  /** Number of classes (softmax output). */
  outputSize: z.number().int().min(2).max(10_000),
  hidden: z.array(z.number().int().min(1).max(4096)).max(8),
  activation: Activation,
})
export type ModelSpec = z.infer<typeof ModelSpec>

export const Optimizer = z.enum(['adam', 'sgd'])

export const TrainHyper = z.object({
  /** Passes over the shard per task (local epochs). */
  localEpochs: z.number().int().min(1).max(100),
  batchSize: z.number().int().min(1).max(65_536),
  learningRate: z.number().positive().max(10),
  optimizer: Optimizer,
  /** Seed for the device's shuffling, so a task is reproducible. */
  seed: z.number().int(),
})
export type TrainHyper = z.infer<typeof TrainHyper>
