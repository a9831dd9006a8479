/**
 * Plans a model's segments on the devices connected now (largest memory first). When the
 * model needs more segments than there are devices, the device list is cycled: a device then
 * runs several stages in turn, its segment cache swapping their weights. Each pass over the
 * list gets its own ids (`id#pass`) for the partitioner; they map back to the real device.
 */
import type { LayerEstimate } from '../lib/model/estimate'
import { minDevices, partition, type PartitionOptions, type PipelinePlan } from '../lib/model/partition'
import { NimbleError } from '../lib/protocol'
import type { Registry } from './registry'

/** One planned segment of a pipeline: layers [from, to), its size and the device planned for it. */
export type PlannedSegment = {
  stage: number
  from: number
  to: number
  params: number
  memoryBytes: number
  flops: number
  plannedDevice: string
  layers: { class_name: string; config: Record<string, unknown> }[]
  inputShape: number[]
}

/** Used for planning when a device has not measured its bandwidth. */
const DEFAULT_BANDWIDTH = 10e6

export function planOnDevices(layers: LayerEstimate[], registry: Registry, options: PartitionOptions): PipelinePlan {
  const devices = registry
    .all()
    .map((d) => ({ id: d.id, memoryBytes: d.profile.memoryBudget, gflops: Math.max(d.gflops, 0.01), bandwidthBytesPerSec: DEFAULT_BANDWIDTH }))
    .sort((a, b) => b.memoryBytes - a.memoryBytes || b.gflops - a.gflops)
  if (devices.length === 0) throw new NimbleError({ code: 'not_ready', message: 'no device is online to plan the pipeline on: start workers (or open /contribute) first' })
  const need = minDevices(layers, Math.max(...devices.map((d) => d.memoryBytes)), options)
  const passes = Number.isFinite(need) ? Math.max(1, Math.ceil(need / devices.length)) : 1
  const cycle = (n: number) => Array.from({ length: n }, (_, r) => devices.map((d) => ({ ...d, id: r === 0 ? d.id : `${d.id}#${r}` }))).flat()
  for (let extra = 0; ; extra++) {
    try {
      const plan = partition(layers, cycle(passes + extra), options)
      return { ...plan, segments: plan.segments.map((s) => ({ ...s, deviceId: s.deviceId.split('#')[0] })) }
    } catch (e) {
      // Infinite need means one layer is bigger than every device: the partitioner says which.
      if (extra >= 2 || !Number.isFinite(need)) throw e
    }
  }
}
