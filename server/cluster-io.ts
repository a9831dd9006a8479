/**
 * Socket.IO across coordinators: with REDIS_URL, the Redis adapter carries every broadcast
 * (job:update, job:round, network:update to rooms on /live) to the clients of every node, and
 * `serverSideEmit` carries wake-ups between nodes (tasks became ready somewhere: dispatch here).
 * Without REDIS_URL the in-memory adapter serves one process, as before.
 */
import { createAdapter } from '@socket.io/redis-adapter'
import { createClient } from 'redis'
import type { Server as IOServer } from 'socket.io'
import type { Logger } from './log'

export async function attachRedis(io: IOServer, url: string, log: Logger): Promise<() => Promise<void>> {
  const pub = createClient({ url })
  const sub = pub.duplicate()
  // Reconnection is node-redis's job; an error event without a listener would crash the process.
  pub.on('error', (e) => log.warn({ err: e }, 'redis (publish) error'))
  sub.on('error', (e) => log.warn({ err: e }, 'redis (subscribe) error'))
  await Promise.all([pub.connect(), sub.connect()])
  io.adapter(createAdapter(pub, sub, { requestsTimeout: 2000 }))
  log.info({ redis: url.replace(/\/\/[^@]*@/, '//***@') }, 'Socket.IO Redis adapter on: broadcasts reach every coordinator')
  return async () => {
    await Promise.allSettled([pub.quit(), sub.quit()])
  }
}
