/**
 * The /live namespace: dashboards watching a job or the network. Read-only; the owner
 * key goes in the handshake (`auth: { key }`). Updates are pushed as state changes
 * (job:update, job:round, network:update), never polled.
 */
import type { Namespace, Socket } from 'socket.io'
import { JobIdParam, NimbleError, type LiveClientToServer, type LiveServerToClient } from '../lib/protocol'
import { assertOwned } from './accounts/access'
import type { Credentials } from './accounts/authenticate'
import type { Principal } from './accounts/principal'
import type { Ctx } from './context'
import { jobView } from './jobs'
import { networkView } from './network'
import type { Registry } from './registry'

type LiveNsp = Namespace<LiveClientToServer, LiveServerToClient>

export function attachLiveNamespace(
  nsp: LiveNsp,
  deps: { ctx: Ctx; registry: Registry; authenticate: (cred: Credentials) => Promise<Principal> },
): { pushJob(id: string): void; pushNetwork(): void } {
  const { ctx, registry } = deps
  nsp.use((socket, next) => {
    const key = (socket.handshake.auth as { key?: unknown } | undefined)?.key
    // The network view is public; jobs need a key or a session cookie, and only the owner's jobs (checked per subscription).
    const cred: Credentials = { authorization: typeof key === 'string' && key.length < 300 ? `Bearer ${key}` : null, cookie: socket.handshake.headers.cookie ?? null }
    deps
      .authenticate(cred)
      .then((who) => ((socket.data as { who?: Principal }).who = who))
      .catch(() => {})
      .finally(() => next())
  })
  nsp.on('connection', (socket: Socket<LiveClientToServer, LiveServerToClient>) => {
    socket.on('job:subscribe', async (rawId: unknown, ack: unknown) => {
      const reply = typeof ack === 'function' ? (ack as (r: unknown) => void) : () => {}
      const id = JobIdParam.safeParse(rawId)
      if (!id.success) return reply({ ok: false, error: { code: 'invalid_message', message: 'job:subscribe needs a job id' } })
      const who = (socket.data as { who?: Principal }).who
      if (!who) return reply({ ok: false, error: { code: 'unauthorized', message: 'sign in, or connect with auth: { key: <API key> }, to watch jobs' } })
      try {
        await assertOwned(ctx, who, 'jobs', id.data)
        const job = await jobView(ctx, id.data)
        await socket.join(`job:${id.data}`)
        reply({ ok: true, job })
      } catch (e) {
        reply({ ok: false, error: e instanceof NimbleError ? { code: e.code, message: e.message } : { code: 'internal', message: 'could not load the job' } })
      }
    })
    socket.on('job:unsubscribe', (rawId: unknown) => {
      const id = JobIdParam.safeParse(rawId)
      if (id.success) void socket.leave(`job:${id.data}`)
    })
    socket.on('network:subscribe', async (ack: unknown) => {
      const reply = typeof ack === 'function' ? (ack as (r: unknown) => void) : () => {}
      await socket.join('network')
      reply({ ok: true, network: await networkView(ctx, registry) })
    })
  })

  // Coalesce bursts: at most one job view per job per 100 ms, one network view per 250 ms.
  const pendingJobs = new Map<string, NodeJS.Timeout>()
  let pendingNetwork: NodeJS.Timeout | null = null
  return {
    pushJob(id: string) {
      if (pendingJobs.has(id)) return
      pendingJobs.set(
        id,
        setTimeout(async () => {
          pendingJobs.delete(id)
          try {
            // With several coordinators this asks every node (Redis adapter); one that died
            // mid-request times out: that must cost one update, never the process.
            if ((await nsp.in(`job:${id}`).fetchSockets()).length === 0) return
            nsp.to(`job:${id}`).emit('job:update', await jobView(ctx, id))
          } catch (e) {
            ctx.log.warn({ err: e, job: id }, 'job push failed')
          }
        }, 100),
      )
    },
    pushNetwork() {
      if (pendingNetwork) return
      pendingNetwork = setTimeout(async () => {
        pendingNetwork = null
        try {
          nsp.to('network').emit('network:update', await networkView(ctx, registry))
        } catch (e) {
          ctx.log.warn({ err: e }, 'network push failed')
        }
      }, 250)
    },
  }
}
