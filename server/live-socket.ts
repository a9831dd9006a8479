/**
 * The /live namespace: dashboards watching a job, an owner's jobs list or the network.
 * Read-only; the caller is who the handshake proves (`auth: { key }` or the session cookie
 * of a wallet sign-in). Updates are pushed as state changes (job:update, job:round,
 * jobs:update, network:update), never polled.
 *
 * Rooms: `job:<id>` (one job's watchers, joined after an ownership check), `owner:<ownerId>`
 * (that owner's jobs list), `jobs:all` (the operator's list of every job). A job's changes go
 * to its own room and to its owner's list room only, so no owner hears of another's jobs.
 */
import type { Namespace, Socket } from 'socket.io'
import { JobIdParam, NimbleError, type LiveClientToServer, type LiveServerToClient } from '../lib/protocol'
import { assertOwned, ownerOf } from './accounts/access'
import type { Credentials } from './accounts/authenticate'
import type { Principal } from './accounts/principal'
import type { Ctx } from './context'
import { jobView, listItem, listJobs } from './jobs'
import { networkView } from './network'
import type { Registry } from './registry'

type LiveNsp = Namespace<LiveClientToServer, LiveServerToClient>

const ALL_JOBS = 'jobs:all'
const ownerRoom = (ownerId: string) => `owner:${ownerId}`

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
    socket.on('jobs:subscribe', async (ack: unknown) => {
      const reply = typeof ack === 'function' ? (ack as (r: unknown) => void) : () => {}
      const who = (socket.data as { who?: Principal }).who
      if (!who) return reply({ ok: false, error: { code: 'unauthorized', message: 'sign in, or connect with auth: { key: <API key> }, to watch your jobs' } })
      try {
        const jobs = await listJobs(ctx, who.admin ? undefined : who.ownerId)
        await socket.join(who.admin ? ALL_JOBS : ownerRoom(who.ownerId))
        reply({ ok: true, jobs })
      } catch (e) {
        ctx.log.warn({ err: e }, 'jobs:subscribe failed')
        reply({ ok: false, error: { code: 'internal', message: 'could not load your jobs' } })
      }
    })
    socket.on('network:subscribe', async (ack: unknown) => {
      const reply = typeof ack === 'function' ? (ack as (r: unknown) => void) : () => {}
      try {
        await socket.join('network')
        reply({ ok: true, network: await networkView(ctx, registry) })
      } catch (e) {
        // Never left to reject: an unhandled rejection ends the process.
        ctx.log.warn({ err: e }, 'network:subscribe failed')
        reply({ ok: false, error: { code: 'internal', message: 'could not load the network view' } })
      }
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
            const owner = await ownerOf(ctx, 'jobs', id)
            const lists = owner === undefined ? [ALL_JOBS] : [ownerRoom(owner), ALL_JOBS]
            const [watchers, listers] = await Promise.all([nsp.in(`job:${id}`).fetchSockets(), nsp.in(lists).fetchSockets()])
            if (watchers.length === 0 && listers.length === 0) return
            const view = await jobView(ctx, id)
            if (watchers.length) nsp.to(`job:${id}`).emit('job:update', view)
            if (listers.length) nsp.to(lists).emit('jobs:update', listItem(view))
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
        // Nobody here watching: the view (several aggregates over growing tables) is not built.
        // Each node pushes its own devices to its own watchers, so only local ones count.
        if (!nsp.adapter.rooms.get('network')?.size) return
        try {
          nsp.to('network').emit('network:update', await networkView(ctx, registry))
        } catch (e) {
          ctx.log.warn({ err: e }, 'network push failed')
        }
      }, 250)
    },
  }
}
