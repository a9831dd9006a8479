/**
 * Which tfjs backends can run a task. tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter
 * kernel, so it cannot train convolutional models (inference works); webgpu and cpu can.
 * The scheduler keeps such tasks off wasm devices instead of letting them fail there.
 */
import type { Backend, ModelSpec } from '../protocol'

const ALL: Backend[] = ['webgpu', 'wasm', 'cpu']

export function hasConvolution(spec: ModelSpec): boolean {
  if (spec.template === 'cnn') return true
  if (spec.template === 'custom' && spec.topology) return /"class_?[nN]ame"\s*:\s*"(Conv2D|Conv1D|SeparableConv2D|DepthwiseConv2D|Conv2DTranspose)"/.test(JSON.stringify(spec.topology))
  return false
}

export function requiredBackends(spec: ModelSpec, kind: 'train' | 'infer'): Backend[] {
  return kind === 'train' && hasConvolution(spec) ? ['webgpu', 'cpu'] : ALL
}
