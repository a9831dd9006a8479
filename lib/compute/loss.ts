/**
 * The training and evaluation objective by task, per example so callers can weight or sum it:
 * categorical cross-entropy for classification (optionally weighted by the example's class,
 * weight = classWeights[argmax(y)], as Keras's class_weight does), squared error for regression.
 */
import * as tf from '@tensorflow/tfjs'
import type { TaskType } from '../protocol'

export function perExampleLoss(task: TaskType, y: tf.Tensor, out: tf.Tensor, classWeights?: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    if (task === 'regression') return tf.metrics.meanSquaredError(y, out) as tf.Tensor1D
    const ce = tf.metrics.categoricalCrossentropy(y, out) as tf.Tensor1D
    return classWeights ? tf.mul(ce, tf.gather(classWeights, tf.argMax(y, 1))) : ce
  })
}
