/**
 * The fitted preprocessing, as stored with a trained model and returned in its
 * model.json metadata. Whoever predicts later (server, browser, headless worker)
 * parses it with this schema and gets the exact same encoding the model saw.
 *
 * Still version 1: later additions (text features, `task`, the regression target's
 * mean and std) are optional or defaulted, so a preprocessing stored before them
 * parses unchanged as a classifier.
 */
import { z } from 'zod'
import { TaskType } from '../protocol'

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

export const TextWeighting = z.enum(['tfidf', 'count', 'binary'])
export type TextWeighting = z.infer<typeof TextWeighting>

/**
 * A hashed bag of words over `buckets` inputs (see text.ts for the tokenizer and hash).
 * tfidf: count × idf[bucket], then the block is L2-normalised; count: log1p(count);
 * binary: 1 when the bucket occurs. A missing cell is all zeros.
 */
export const TextFeature = z
  .object({
    kind: z.literal('text'),
    column: z.string(),
    buckets: z.number().int().min(1).max(1 << 20),
    weighting: TextWeighting,
    /** tfidf only: ln((1+N)/(1+df))+1 per bucket, fitted on the training rows. */
    idf: z.array(z.number().positive()).optional(),
  })
  .refine((f) => f.weighting !== 'tfidf' || f.idf?.length === f.buckets, {
    message: 'tf-idf text features need one idf value per bucket',
    path: ['idf'],
  })

export const FeatureSpec = z.discriminatedUnion('kind', [NumericFeature, BooleanFeature, CategoricalFeature, TextFeature])
export type FeatureSpec = z.infer<typeof FeatureSpec>

/** How target cells become class labels (or numbers): numeric targets compare by value ("1.0" is class "1"). */
export const TargetType = z.enum(['numeric', 'boolean', 'categorical'])
export type TargetType = z.infer<typeof TargetType>

export const Preprocessing = z
  .object({
    version: z.literal(1),
    /** Absent in preprocessings stored before regression existed: those are classifiers. */
    task: TaskType.default('classification'),
    features: z.array(FeatureSpec).min(1),
    /** Sum of the feature widths: the model's input size. */
    inputSize: z.number().int().min(1),
    target: z.string(),
    targetType: TargetType,
    /** Class labels in output order; empty for regression. */
    classes: z.array(z.string()),
    /** Regression: the model predicts (target − targetMean) / targetStd; see unscaleTarget. */
    targetMean: z.number().optional(),
    targetStd: z.number().positive().optional(),
    /** What fitting decided that a person should know (ignored columns, caps). */
    notes: z.array(z.string()),
  })
  .refine((p) => p.inputSize === p.features.reduce((sum, f) => sum + featureWidth(f), 0), {
    message: 'inputSize must equal the total width of the features',
    path: ['inputSize'],
  })
  .refine((p) => (p.task === 'regression' ? p.classes.length === 0 : p.classes.length >= 2), {
    message: 'a classifier needs at least two classes; a regression has none',
    path: ['classes'],
  })
  .refine((p) => p.task !== 'regression' || (p.targetType === 'numeric' && p.targetMean !== undefined && p.targetStd !== undefined), {
    message: 'a regression needs a numeric target with its mean and std',
    path: ['targetMean'],
  })
export type Preprocessing = z.infer<typeof Preprocessing>

/** Number of model inputs a feature takes. */
export function featureWidth(feature: FeatureSpec): number {
  if (feature.kind === 'categorical') return feature.categories.length + (feature.other ? 1 : 0)
  if (feature.kind === 'text') return feature.buckets
  return 1
}

/** A regression model's output (standardised) back in the target's units. */
export function unscaleTarget(prep: Preprocessing, v: number): number {
  return v * (prep.targetStd ?? 1) + (prep.targetMean ?? 0)
}
