import { describe, expect, it } from 'vitest'
import type { ModelSpec } from '../protocol'
import { requiredBackends } from './backends'

const base: ModelSpec = { template: 'mlp', task: 'classification', inputShape: [4], inputSize: 4, outputSize: 3, hidden: [8], activation: 'relu', dropout: 0, filters: [] }

describe('requiredBackends', () => {
  it('keeps convolution training off wasm, which lacks Conv2DBackpropFilter', () => {
    expect(requiredBackends(base, 'train')).toContain('wasm')
    const cnn = { ...base, template: 'cnn' as const, inputShape: [8, 8, 1], inputSize: 64, filters: [4] }
    expect(requiredBackends(cnn, 'train')).toEqual(['webgpu', 'cpu'])
    expect(requiredBackends(cnn, 'infer')).toContain('wasm')
    const custom = { ...base, template: 'custom' as const, topology: { class_name: 'Sequential', config: { layers: [{ class_name: 'Conv2D', config: {} }] } } }
    expect(requiredBackends(custom, 'train')).toEqual(['webgpu', 'cpu'])
  })
})
