/**
 * Trust policy (BOINC's adaptive replication, pure): a device earns trust with consecutive
 * accepted results; until then every task it returns is replicated on another device. A
 * trusted device's tasks are replicated only with a small probability. Any invalid result
 * resets its trust; repeated invalid results (or repeatedly missed deadlines) ban it, and a
 * banned device's payout wallet with it. Randomness comes in as an argument.
 */

export type TrustPolicy = {
  /** Consecutive accepted results before a device's work stops being replicated every time. */
  trustAfter: number
  /** Probability that a trusted device's task is still replicated. */
  replicateProbability: number
  /** Invalid results that ban a device (and its wallet). */
  banAfterInvalid: number
  /** Missed lease deadlines, with no accepted result in between, that ban a device. */
  banAfterExpired: number
}

export const DEFAULT_TRUST: TrustPolicy = { trustAfter: 10, replicateProbability: 0.05, banAfterInvalid: 3, banAfterExpired: 5 }

export type TrustState = {
  /** Accepted results since the last invalid one. */
  streak: number
  /** Invalid results in total. */
  invalid: number
  /** Missed deadlines since the last accepted result. */
  expired: number
  banned: boolean
}

export type TrustTier = 'new' | 'trusted' | 'banned'

export const NEW_DEVICE: TrustState = { streak: 0, invalid: 0, expired: 0, banned: false }

export function tier(s: TrustState, p: TrustPolicy): TrustTier {
  return s.banned ? 'banned' : s.streak >= p.trustAfter ? 'trusted' : 'new'
}

/** Whether the task this device just returned needs a second copy elsewhere. `draw` is uniform in [0, 1). */
export function needsReplica(s: TrustState, p: TrustPolicy, draw: number): boolean {
  if (s.streak < p.trustAfter) return true
  return draw < p.replicateProbability
}

export type TrustEvent = 'valid' | 'invalid' | 'expired'

/** The state after one event, and whether this event banned the device. */
export function applyEvent(s: TrustState, e: TrustEvent, p: TrustPolicy): { state: TrustState; banned: boolean } {
  let next: TrustState
  if (e === 'valid') next = { ...s, streak: s.streak + 1, expired: 0 }
  else if (e === 'invalid') next = { ...s, streak: 0, invalid: s.invalid + 1 }
  else next = { ...s, expired: s.expired + 1 }
  const ban = !s.banned && (next.invalid >= p.banAfterInvalid || next.expired >= p.banAfterExpired)
  if (ban) next = { ...next, banned: true, streak: 0 }
  return { state: next, banned: ban }
}

/** The /24 of an IPv4 address (or the /48 of an IPv6 one): devices behind it are likely one owner. */
export function networkOf(ip: string | null | undefined): string | null {
  if (!ip) return null
  const v4 = /(\d+)\.(\d+)\.(\d+)\.\d+$/.exec(ip)
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`
  if (ip.includes(':')) return `${ip.split(':').slice(0, 3).join(':')}::/48`
  return null
}

export type Holder = { deviceId: string; address: string | null; network: string | null }

/**
 * Devices that must not run another copy of a task: those that already hold or held one, and
 * every device of the same wallet. Devices on the same network are avoided too, but only while
 * another candidate outside it remains (a preference, not a rule).
 */
export function replicaConflicts(holders: Holder[], candidates: Holder[]): string[] {
  if (holders.length === 0) return []
  const ids = new Set(holders.map((h) => h.deviceId))
  const wallets = new Set(holders.map((h) => h.address).filter((a): a is string => a !== null))
  const hard = candidates.filter((c) => ids.has(c.deviceId) || (c.address !== null && wallets.has(c.address)))
  const out = new Set([...ids, ...hard.map((c) => c.deviceId)])
  const nets = new Set(holders.map((h) => h.network).filter((n): n is string => n !== null))
  const free = candidates.filter((c) => !out.has(c.deviceId))
  const elsewhere = free.filter((c) => c.network === null || !nets.has(c.network))
  if (elsewhere.length > 0) for (const c of free) if (c.network !== null && nets.has(c.network)) out.add(c.deviceId)
  return [...out]
}
