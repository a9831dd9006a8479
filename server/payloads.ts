/**
 * Task payloads (tasks.payload_json) parsed once per coordinator: the dispatcher parses a task's
 * payload to place it, and the validator needs it again when the result comes back. A payload
 * never changes once its task is inserted and task ids are never reused (tasks are not
 * deleted), so the parsed form is kept by task id, per store. Callers must not change it.
 * At most LIMIT payloads are kept; past that the cache starts again.
 */
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

/** Settled tasks' payloads are not needed any more. */
export function forgetPayloads(store: object, taskIds: Iterable<number>): void {
  const m = cacheOf(store)
  for (const id of taskIds) m.delete(id)
}
