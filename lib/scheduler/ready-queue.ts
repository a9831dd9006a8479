/**
 * A ready queue kept between dispatches (pure data structure, no I/O).
 *
 * rankedQueue reads a whole task array on every call: O(queue) per dispatch even when one
 * device asks for work. A caller that keeps its queue (the fleet simulator, the benchmark, a
 * coordinator holding its ready tasks in memory) adds and removes tasks here as they arrive
 * and are leased, and each assign call reads only the head: O(jobs + k log jobs) for the
 * first k tasks.
 *
 * The order is rankTasks's: priority (higher first), then fair share (the k-th queued task
 * of a job ranks as if its job already ran `running + k` tasks), then age, then id. Each
 * job's tasks are kept sorted by (priority, age, id), so a call walks them with a cursor
 * and a small heap of jobs picks the next one, without changing anything kept.
 */
import type { TaskNeed } from './match'
import type { RankedQueue } from './queue'
import { jobKey } from './rank'

type Group = {
  /** The key in `running` (job id or owner); null for tasks with neither, which share nothing. */
  runningKey: string | null
  /** Slots, best first by (priority desc, age asc, id asc). */
  slots: number[]
}

export class ReadyQueue {
  /** Tasks by slot, for assign; a removed task's slot is empty until reused. Do not modify. */
  readonly tasks: TaskNeed[] = []
  private readonly prio: number[] = []
  private readonly age: number[] = []
  private readonly id: number[] = []
  private readonly slotOf = new Map<number, number>()
  private readonly groupOf: (Group | undefined)[] = []
  private readonly groups = new Map<string, Group>()
  private readonly free: number[] = []

  /** Ready tasks held. */
  get size(): number {
    return this.slotOf.size
  }

  has(taskId: number): boolean {
    return this.slotOf.has(taskId)
  }

  get(taskId: number): TaskNeed | undefined {
    const s = this.slotOf.get(taskId)
    return s === undefined ? undefined : this.tasks[s]
  }

  /** Adds a ready task (replacing one with the same id). */
  add(task: TaskNeed): void {
    if (this.slotOf.has(task.id)) this.remove(task.id)
    const s = this.free.length > 0 ? this.free.pop()! : this.tasks.length
    this.tasks[s] = task
    this.prio[s] = task.priority ?? 0
    this.age[s] = task.createdAt ?? 0
    this.id[s] = task.id
    this.slotOf.set(task.id, s)
    const key = jobKey(task)
    let g = this.groups.get(key)
    if (!g) this.groups.set(key, (g = { runningKey: key === '' ? null : key.slice(key.indexOf(':') + 1), slots: [] }))
    this.groupOf[s] = g
    // Newer tasks of the same priority go last, so this is usually an append.
    const list = g.slots
    let at = list.length
    if (at > 0 && this.within(list[at - 1], s) > 0) at = this.lowerBound(list, s)
    list.splice(at, 0, s)
  }

  /** Removes a task (leased, cancelled); returns it, or undefined if it was not held. */
  remove(taskId: number): TaskNeed | undefined {
    const s = this.slotOf.get(taskId)
    if (s === undefined) return undefined
    const task = this.tasks[s]
    const g = this.groupOf[s]!
    const list = g.slots
    list.splice(this.lowerBound(list, s), 1)
    if (list.length === 0) this.groups.delete(jobKey(task))
    this.slotOf.delete(taskId)
    this.groupOf[s] = undefined
    this.tasks[s] = undefined as unknown as TaskNeed
    this.free.push(s)
    return task
  }

  /**
   * The queue in rank order for one assign call, read lazily. `running` counts leased tasks
   * per job id (or owner). Reading changes nothing kept; add or remove only between calls.
   */
  ranked(running: Record<string, number> = {}): RankedQueue {
    const groups = [...this.groups.values()]
    const G = groups.length
    const base = new Float64Array(G)
    for (let g = 0; g < G; g++) base[g] = groups[g].runningKey === null ? 0 : (running[groups[g].runningKey!] ?? 0)
    const cursor = new Int32Array(G)
    const { prio, age, id } = this
    const head = (g: number) => groups[g].slots[cursor[g]]
    const share = (g: number) => (groups[g].runningKey === null ? 0 : base[g] + cursor[g])
    const ahead = (g: number, h: number) => {
      const a = head(g)
      const b = head(h)
      return prio[b] - prio[a] || share(g) - share(h) || age[a] - age[b] || id[a] - id[b]
    }
    const heap = new Int32Array(G)
    let J = 0
    for (let g = 0; g < G; g++) heap[J++] = g
    const sift = (k: number) => {
      const x = heap[k]
      for (;;) {
        let c = 2 * k + 1
        if (c >= J) break
        if (c + 1 < J && ahead(heap[c + 1], heap[c]) < 0) c++
        if (ahead(heap[c], x) >= 0) break
        heap[k] = heap[c]
        k = c
      }
      heap[k] = x
    }
    for (let k = (J >> 1) - 1; k >= 0; k--) sift(k)
    return {
      next() {
        if (J === 0) return -1
        const g = heap[0]
        const s = head(g)
        // The job's key only grows (lower or equal priority, one more share): sift it down.
        if (++cursor[g] === groups[g].slots.length) heap[0] = heap[--J]
        sift(0)
        return s
      },
    }
  }

  /** Within a job: priority desc, then age, then id (ids are unique, so never 0 for a != b). */
  private within(a: number, b: number): number {
    return this.prio[b] - this.prio[a] || this.age[a] - this.age[b] || this.id[a] - this.id[b]
  }

  /** First position in `list` whose slot does not come before slot s. */
  private lowerBound(list: number[], s: number): number {
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.within(list[mid], s) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
