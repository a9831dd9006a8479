/**
 * Leases freed together (Leases.releaseDevice, expire), on a real store; the PostgreSQL pass
 * (NIMBLE_TEST_DATABASE_URL) runs the same cases there. A device that leaves frees only the
 * leases it held; a task goes back to the queue unless a spare copy of it is still running;
 * each freed lease and readied task is logged once.
 */
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { Leases } from './leases'
import { Registry } from './registry'
import { leasedWorld } from './testing/leased-world'

/** A leased world (server/testing/leased-world.ts) whose log lines are kept, and its Leases. */
async function world(leases: string[][], devices?: string[], env?: Record<string, string>) {
  const lines: { entity?: string; from?: string; to?: string }[] = []
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) })
  const w = await leasedWorld({ leases, log, ...(devices ? { devices } : {}), ...(env ? { env } : {}) })
  return { ...w, lines, leases: new Leases(w.ctx, new Registry()) }
}

describe('leases freed together', () => {
  it('a device that leaves frees its own leases; a task with a spare still running stays leased', async () => {
    // d1 holds three tasks; the second has a spare on d2; the fourth task is d2's alone.
    const w = await world([['d1'], ['d1', 'd2'], ['d1'], ['d2']])
    let readyEvents = 0
    w.ctx.bus.on('tasks:ready', () => readyEvents++)
    // d1's session also names d2's lease (as a hostile or stale list could): it is not d1's to free.
    const freed = await w.leases.releaseDevice('d1', [w.tasks[0].instances[0], w.tasks[1].instances[0], w.tasks[2].instances[0], w.tasks[3].instances[0]])
    expect(freed).toBe(3)
    expect(await w.states()).toEqual({
      tasks: ['ready', 'leased', 'ready', 'leased'],
      instances: ['abandoned', 'abandoned', 'leased', 'abandoned', 'leased'],
    })
    expect(readyEvents).toBe(1)
    const moved = (entity: string, to: string) => w.lines.filter((l) => l.entity === entity && l.from === 'leased' && l.to === to).length
    expect(moved('instance', 'abandoned')).toBe(3)
    // Two tasks back in the queue, logged once each; the one whose spare runs is not.
    expect(moved('task', 'ready')).toBe(2)
    // Freeing again frees nothing.
    expect(await w.leases.releaseDevice('d1', [w.tasks[0].instances[0]])).toBe(0)
  })

  it('devices that leave in the same turn are freed together, each told how many of its leases were freed', async () => {
    const w = await world([['d1'], ['d1'], ['d2'], ['d3'], ['d2', 'd1']])
    const [n1, n2, n3] = await Promise.all([
      w.leases.releaseDevice('d1', [w.tasks[0].instances[0], w.tasks[1].instances[0], w.tasks[4].instances[1]]),
      w.leases.releaseDevice('d2', [w.tasks[2].instances[0], w.tasks[4].instances[0]]),
      // d3 leaves holding nothing (its task stays leased: no session named it).
      w.leases.releaseDevice('d3', []),
    ])
    expect([n1, n2, n3]).toEqual([3, 2, 0])
    // Both copies of the last task went: it is back in the queue; d3's task was never named.
    expect((await w.states()).tasks).toEqual(['ready', 'ready', 'ready', 'leased', 'ready'])
  })

  it('leases past their deadline expire together, and count against their devices', async () => {
    const w = await world([['late-1'], ['late-1'], ['d1', 'late-2'], ['d2']], ['late-1', 'late-2'])
    expect(await w.leases.expire()).toBe(3)
    expect(await w.states()).toEqual({
      tasks: ['ready', 'ready', 'leased', 'leased'],
      instances: ['expired', 'expired', 'leased', 'expired', 'leased'],
    })
    // Each lapse counted once, in the counter and in the device's trust (one statement of each per device).
    const devices = await w.db.selectFrom('devices').select(['id', 'tasks_expired', 'trust_expired']).orderBy('id').execute()
    expect(devices.map((d) => [d.id, d.tasks_expired, d.trust_expired])).toEqual([
      ['late-1', 2, 2],
      ['late-2', 1, 1],
    ])
  })

  it('a device whose lapses in one sweep reach the ban threshold is banned once, and its trust stops counting there', async () => {
    const w = await world([['late-1'], ['late-1'], ['late-1'], ['late-2']], ['late-1', 'late-2'], { NIMBLE_BAN_AFTER_EXPIRED: '2' })
    expect(await w.leases.expire()).toBe(4)
    const devices = await w.db.selectFrom('devices').select(['id', 'tasks_expired', 'trust_expired', 'banned_at']).orderBy('id').execute()
    expect(devices.map((d) => [d.id, d.tasks_expired, d.trust_expired, d.banned_at !== null])).toEqual([
      ['late-1', 3, 2, true],
      ['late-2', 1, 1, false],
    ])
    expect(w.lines.filter((l) => l.entity === 'device' && l.to === 'banned')).toHaveLength(1)
  })
})
