/** The `device:hello` payload for this browser, and the device id kept across visits. */
import { PROTOCOL_VERSION, type DeviceHello } from '@/lib/protocol'
import type { ReadyInfo } from './donation-state'

const DEVICE_ID_KEY = 'nimble.deviceId'
const DEVICE_ID = /^[A-Za-z0-9_-]{8,64}$/

export function readDeviceId(): string | undefined {
  try {
    const id = localStorage.getItem(DEVICE_ID_KEY)
    return id && DEVICE_ID.test(id) ? id : undefined
  } catch {
    return undefined
  }
}

export function saveDeviceId(id: string): void {
  try {
    localStorage.setItem(DEVICE_ID_KEY, id)
  } catch {
    // Storage disabled: the device simply gets a new id next visit.
  }
}

function platform(): string {
  const uaData = (navigator as Navigator & { userAgentData?: { platform?: string } }).userAgentData
  return uaData?.platform || navigator.platform || 'unknown'
}

/** `duty`: the share of the time this device computes (the throttle), so the coordinator does not expect full speed. */
export function buildHello(ready: ReadyInfo, bandwidth?: number, duty = 1): DeviceHello {
  const cores = Math.min(4096, Math.max(0, Math.floor(navigator.hardwareConcurrency || 0)))
  return {
    protocolVersion: PROTOCOL_VERSION,
    deviceId: readDeviceId(),
    name: `Browser · ${platform()}`.slice(0, 80),
    profile: {
      kind: 'browser',
      backend: ready.backend,
      benchmarks: ready.benchmarks.slice(0, 3),
      adapter: ready.adapter,
      memoryBudget: Math.max(0, Math.floor(ready.memoryBudget)),
      userAgent: navigator.userAgent.slice(0, 500),
      hardwareConcurrency: cores || undefined,
      ...(bandwidth ? { bandwidth } : {}),
      ...(duty < 1 ? { duty } : {}),
    },
  }
}

/** This browser's device id, created now if it has none (so a wallet can be linked before donating). */
export function ensureDeviceId(): string {
  const existing = readDeviceId()
  if (existing) return existing
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  const id = `dev_${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`
  saveDeviceId(id)
  return id
}
