/**
 * The one running coordinator, reachable from Next.js route handlers. Route handlers are
 * bundled separately from server/index.ts, so module state is not shared between them;
 * globalThis is. Handlers import only the type, never the implementation.
 */
import type { Coordinator } from './coordinator'

const KEY = Symbol.for('nimble.coordinator')

export function setCoordinator(c: Coordinator | null): void {
  ;(globalThis as Record<symbol, unknown>)[KEY] = c
}

export function getCoordinator(): Coordinator {
  const c = (globalThis as Record<symbol, unknown>)[KEY] as Coordinator | undefined
  if (!c) throw new Error('the coordinator is not running: start the app with `npm start` (server/index.ts), not `next start`')
  return c
}
