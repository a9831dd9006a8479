import { describe, expect, it } from 'vitest'
import { applyEvent, needsReplica, networkOf, NEW_DEVICE, replicaConflicts, tier, type TrustPolicy, type TrustState } from './trust'

const P: TrustPolicy = { trustAfter: 3, replicateProbability: 0.1, banAfterInvalid: 2, banAfterExpired: 3 }
const run = (events: ('valid' | 'invalid' | 'expired')[], s: TrustState = NEW_DEVICE) => events.reduce((st, e) => applyEvent(st, e, P).state, s)

describe('trust policy', () => {
  it('replicates every task of a new device, then only with the configured probability', () => {
    expect(needsReplica(NEW_DEVICE, P, 0.99)).toBe(true)
    const trusted = run(['valid', 'valid', 'valid'])
    expect(tier(trusted, P)).toBe('trusted')
    expect(needsReplica(trusted, P, 0.05)).toBe(true)
    expect(needsReplica(trusted, P, 0.5)).toBe(false)
  })
  it('an invalid result resets trust; repeated invalid results ban', () => {
    const once = run(['valid', 'valid', 'valid', 'invalid'])
    expect(once).toMatchObject({ streak: 0, invalid: 1, banned: false })
    expect(tier(once, P)).toBe('new')
    const s = applyEvent(once, 'invalid', P)
    expect(s.banned).toBe(true)
    expect(tier(s.state, P)).toBe('banned')
    // banning happens once
    expect(applyEvent(s.state, 'invalid', P).banned).toBe(false)
  })
  it('missed deadlines ban only when consecutive', () => {
    expect(run(['expired', 'expired', 'valid', 'expired', 'expired']).banned).toBe(false)
    expect(run(['expired', 'expired', 'expired']).banned).toBe(true)
  })
})

describe('replica placement', () => {
  const h = (deviceId: string, address: string | null, ip: string | null) => ({ deviceId, address, network: networkOf(ip) })
  it('never the same device or wallet; avoids the same /24 while another network is free', () => {
    const holders = [h('a', '0x1', '10.0.0.5')]
    const cands = [h('a', '0x1', '10.0.0.5'), h('b', '0x1', '192.0.2.1'), h('c', null, '10.0.0.9'), h('d', '0x2', '198.51.100.7')]
    expect(replicaConflicts(holders, cands).sort()).toEqual(['a', 'b', 'c'])
    // the same network is acceptable when nothing else is free
    expect(replicaConflicts(holders, cands.slice(0, 3)).sort()).toEqual(['a', 'b'])
    expect(replicaConflicts([], cands)).toEqual([])
  })
  it('reads networks from IPv4, IPv4-mapped IPv6 and IPv6 addresses', () => {
    expect(networkOf('::ffff:127.0.0.1')).toBe('127.0.0.0/24')
    expect(networkOf('2001:db8:1:2::5')).toBe('2001:db8:1::/48')
    expect(networkOf(undefined)).toBeNull()
  })
})
