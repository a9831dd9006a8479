/** The fleet as dashboards see it: who is online, on which backend, how fast, and the task queue. */
import type { NetworkView } from '../lib/protocol'
import { classify } from '../lib/scheduler/pricing'
import type { Ctx } from './context'
import type { Registry } from './registry'
import { trustDistribution } from './verification-view'

export async function networkView(ctx: Ctx, registry: Registry): Promise<NetworkView> {
  const sessions = registry.all()
  const ids = sessions.map((s) => s.id)
  const counts = ids.length ? await ctx.db.selectFrom('devices').select(['id', 'tasks_valid']).where('id', 'in', ids).execute() : []
  const tasks = await ctx.db.selectFrom('tasks').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).where('state', 'in', ['ready', 'leased', 'done']).groupBy('state').execute()
  const [running, credit] = await Promise.all([
    ctx.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'running').executeTakeFirst(),
    ctx.db.selectFrom('credits').select((eb) => eb.fn.sum<number>('flops').as('flops')).executeTakeFirst(),
  ])
  const byBackend: Record<string, number> = {}
  for (const s of sessions) byBackend[s.profile.backend] = (byBackend[s.profile.backend] ?? 0) + 1
  const n = (st: string) => Number(tasks.find((t) => t.state === st)?.n ?? 0)
  return {
    devicesOnline: sessions.length,
    byBackend,
    totalGflops: Math.round(sessions.reduce((a, s) => a + s.gflops, 0) * 100) / 100,
    devices: sessions.map((s) => ({
      id: s.id,
      name: s.name,
      kind: s.profile.kind,
      backend: s.profile.backend,
      gflops: s.gflops,
      busy: s.leases.size > 0,
      leases: s.leases.size,
      slots: s.slots,
      tasksDone: Number(counts.find((c) => c.id === s.id)?.tasks_valid ?? 0),
      connectedAt: new Date(s.connectedAt).toISOString(),
      class: classify(s.profile.backend, s.gflops),
      memoryBudget: s.profile.memoryBudget,
      rttMs: s.rttMs ?? null,
      bandwidth: s.bandwidth ?? null,
    })),
    tasks: { ready: n('ready'), leased: n('leased'), done: n('done') },
    trust: await trustDistribution(ctx),
    jobsRunning: Number(running?.n ?? 0),
    tokensPaid: (Number(credit?.flops ?? 0) / 1e12) * ctx.config.prices.volunteerPerTflop,
  }
}
