/**
 * The fitted preprocessing, as stored with a trained model and returned in its
 * model.json metadata. Whoever predicts later (server, browser, headless worker)
 * parses it with this schema and gets the exact same encoding the model saw.
 */
import { z } from 'zod'

/** Standardised: (value − mean) / std; missing cells become the mean, i.e. 0. */
export const NumericFeature = z.object({
  kind: z.literal('numeric'),
  column: z.string(),
  mean: z.number(),
  std: z.number().positive(),
})

/** 1 for true/yes/t/y, 0 for false/no/f/n; missing cells become `fill`, the share of true seen in training. */
export const BooleanFeature = z.object({
  kind: z.literal('boolean'),
  column: z.string(),
  fill: z.number().min(0).max(1),
})

/**
 * One-hot over `categories` (sorted). With `other`, one extra last input takes every value
 * not listed (the rare ones cut by the cap, and unseen ones); without it an unseen value and
 * a missing cell are all zeros.
 */
export const CategoricalFeature = z.object({
  kind: z.literal('categorical'),
  column: z.string(),
  categories: z.array(z.string()),
  other: z.boolean(),
})

export const FeatureSpec = z.discriminatedUnion('kind', [NumericFeature, BooleanFeature, CategoricalFeature])
export type FeatureSpec = z.infer<typeof FeatureSpec>

/** How target cells become class labels: numeric targets compare by value ("1.0" is class "1"). */
export const TargetType = z.enum(['numeric', 'boolean', 'categorical'])
export type TargetType = z.infer<typeof TargetType>

export const Preprocessing = z
  .object({
    version: z.literal(1),
    features: z.array(FeatureSpec).min(1),
    /** Sum of the feature widths: the model's input size. */
    inputSize: z.number().int().min(1),
    target: z.string(),
    targetType: TargetType,
    /** Class labels in output order. */
    classes: z.array(z.string()).min(2),
    /** What fitting decided that a person should know (ignored columns, caps). */
    notes: z.array(z.string()),
  })
  .refine((p) => p.inputSize === p.features.reduce((sum, f) => sum + featureWidth(f), 0), {
    message: 'inputSize must equal the total width of the features',
    path: ['inputSize'],
  })
export type Preprocessing = z.infer<typeof Preprocessing>

/** Number of model inputs a feature takes. */
export function featureWidth(feature: FeatureSpec): number {
  if (feature.kind === 'categorical') return feature.categories.length + (feature.other ? 1 : 0)
  return 1
}
