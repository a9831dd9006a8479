/** The task's optimizer: adam, plain sgd, or sgd with (heavy-ball) momentum, 0.9 unless the task says. */
import * as tf from '@tensorflow/tfjs'
import type { TrainHyper } from '../protocol'

export const DEFAULT_MOMENTUM = 0.9

export function makeOptimizer(hyper: Pick<TrainHyper, 'optimizer' | 'learningRate' | 'momentum'>): tf.Optimizer {
  switch (hyper.optimizer) {
    case 'adam':
      return tf.train.adam(hyper.learningRate)
    case 'sgd':
      return tf.train.sgd(hyper.learningRate)
    case 'momentum':
      return tf.train.momentum(hyper.learningRate, hyper.momentum ?? DEFAULT_MOMENTUM)
  }
}

/**
 * Disposes an optimizer and its state. tfjs 4.22's MomentumOptimizer.dispose forgets the
 * learning-rate scalar its SGD base keeps (`c`): one leaked tensor per task otherwise.
 */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose()
  if (optimizer instanceof tf.MomentumOptimizer) {
    const c = (optimizer as unknown as { c?: tf.Tensor }).c
    if (c && !c.isDisposed) c.dispose()
  }
}
