/**
 * Simulated device profiles (pure): per price class, the spread of speed, memory budget and
 * bandwidth a volunteer fleet shows, and named mixes of classes. Speeds span about four
 * orders of magnitude (a CPU running wasm at 1 GFLOP/s to a data-centre GPU at 30,000).
 */
import type { DeviceSlot } from '../scheduler/match'
import { DEVICE_CLASSES, type DeviceClass } from '../scheduler/pricing'

type Range = [lo: number, hi: number]
export type ClassProfile = { gflops: Range; memory: Range; bandwidth: Range; backend: string }

const MB = 1e6
const GB = 1e9
export const PROFILES: Record<DeviceClass, ClassProfile> = {
  'cpu-wasm': { gflops: [1, 20], memory: [0.25 * GB, 1 * GB], bandwidth: [2 * MB, 20 * MB], backend: 'wasm' },
  'consumer-1080': { gflops: [300, 1400], memory: [1 * GB, 4 * GB], bandwidth: [5 * MB, 50 * MB], backend: 'webgpu' },
  mid: { gflops: [1500, 4900], memory: [4 * GB, 8 * GB], bandwidth: [10 * MB, 100 * MB], backend: 'webgpu' },
  high: { gflops: [5000, 19_000], memory: [8 * GB, 16 * GB], bandwidth: [20 * MB, 200 * MB], backend: 'webgpu' },
  datacenter: { gflops: [20_000, 30_000], memory: [16 * GB, 64 * GB], bandwidth: [100 * MB, 1000 * MB], backend: 'webgpu' },
}

export type Mix = Record<DeviceClass, number>
export const MIXES: Record<string, Mix> = {
  volunteer: { 'cpu-wasm': 60, 'consumer-1080': 25, mid: 10, high: 4, datacenter: 1 },
  'gpu-heavy': { 'cpu-wasm': 10, 'consumer-1080': 30, mid: 30, high: 20, datacenter: 10 },
  'cpu-heavy': { 'cpu-wasm': 85, 'consumer-1080': 10, mid: 3, high: 1.5, datacenter: 0.5 },
}

/** A named mix or `class=weight,...` (unlisted classes weigh 0). Throws a RangeError naming the problem. */
export function parseMix(text: string): Mix {
  if (MIXES[text]) return MIXES[text]
  if (!text.includes('=')) throw new RangeError(`unknown mix "${text}": use one of ${Object.keys(MIXES).join(', ')} or class=weight pairs like cpu-wasm=60,mid=40`)
  const mix = Object.fromEntries(DEVICE_CLASSES.map((c) => [c, 0])) as Mix
  for (const part of text.split(',')) {
    const [name, w] = part.split('=')
    if (!(DEVICE_CLASSES as readonly string[]).includes(name)) throw new RangeError(`unknown device class "${name}" in --mix; classes: ${DEVICE_CLASSES.join(', ')}`)
    const weight = Number(w)
    if (!Number.isFinite(weight) || weight < 0) throw new RangeError(`weight for ${name} must be a number >= 0, got "${w}"`)
    mix[name as DeviceClass] = weight
  }
  if (Object.values(mix).every((w) => w === 0)) throw new RangeError('--mix: at least one class needs a weight above 0')
  return mix
}

export type SimDevice = DeviceSlot & { class: DeviceClass; bandwidth: number; pricePerSec: number }

const pick = (rng: () => number, [lo, hi]: Range, log = false) => (log ? lo * (hi / lo) ** rng() : lo + (hi - lo) * rng())

export function drawClass(rng: () => number, mix: Mix): DeviceClass {
  const total = DEVICE_CLASSES.reduce((s, c) => s + mix[c], 0)
  let x = rng() * total
  for (const c of DEVICE_CLASSES) if ((x -= mix[c]) < 0) return c
  return DEVICE_CLASSES.find((c) => mix[c] > 0)!
}

export function makeDevice(rng: () => number, id: string, cls: DeviceClass, perSecond: Record<DeviceClass, number>): SimDevice {
  const p = PROFILES[cls]
  return { id, class: cls, gflops: pick(rng, p.gflops, true), memoryBudget: pick(rng, p.memory), bandwidth: pick(rng, p.bandwidth, true), backend: p.backend, pricePerSec: perSecond[cls] }
}
