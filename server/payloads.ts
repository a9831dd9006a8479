/**
 * Task payloads (tasks.payload_json) parsed once per coordinator: the dispatcher parses a task's
 * payload to place it, and the validator needs it again when the result comes back. A payload
 * never changes once its task is inserted and task ids are never reused (tasks are not
 * deleted), so the parsed form is kept by task id, per store. Callers must not change it.
 * At most LIMIT payloads are kept; past that the cache starts again.
 */
import type { Kysely } from 'kysely'
import { inChunksAtOnce } from './store/chunks'
import { preparedIn } from './store/prepared'
import type { Database } from './store/schema'

const LIMIT = 20_000
const byStore = new WeakMap<object, Map<number, unknown>>()

function cacheOf(store: object): Map<number, unknown> {
  let m = byStore.get(store)
  if (!m) byStore.set(store, (m = new Map()))
  return m
}

/** The task's parsed payload. */
export function taskPayload<T = unknown>(store: object, task: { id: number; payload_json: string }): T {
  const m = cacheOf(store)
  let p = m.get(task.id)
  if (p === undefined) {
    p = JSON.parse(task.payload_json)
    if (m.size >= LIMIT) m.clear()
    m.set(task.id, p)
  }
  return p as T
}

/** The payload if it is kept already. */
export function keptPayload<T = unknown>(store: object, taskId: number): T | undefined {
  return cacheOf(store).get(taskId) as T | undefined
}

const payloadsOf = preparedIn<{ id: number; payload_json: string }>((ids, db) => db.selectFrom('tasks').select(['id', 'payload_json']).where('id', 'in', ids))

/**
 * These tasks' parsed payloads, by task id: those kept already, and the others read from the
 * store (a task that does not exist is left out). The map holds them whatever the cache drops.
 */
export async function payloadsOfTasks<T = unknown>(db: Kysely<Database>, taskIds: Iterable<number>): Promise<Map<number, T>> {
  const out = new Map<number, T>()
  const missing: number[] = []
  for (const id of taskIds) {
    if (out.has(id)) continue
    const p = keptPayload<T>(db, id)
    if (p === undefined) missing.push(id)
    else out.set(id, p)
  }
  for (const r of await inChunksAtOnce(missing, (part) => payloadsOf.rows(db, part))) out.set(r.id, taskPayload<T>(db, r))
  return out
}

/** Settled tasks' payloads are not needed any more. */
export function forgetPayloads(store: object, taskIds: Iterable<number>): void {
  const m = cacheOf(store)
  for (const id of taskIds) m.delete(id)
}
