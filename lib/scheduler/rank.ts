/**
 * Queue order (pure): which ready tasks are served first when there are more than devices.
 * Priority (higher first), then fair share between jobs (fewest running first), then age.
 * Fair share is made static so the order is one sort: the k-th queued task of a job ranks
 * as if its job already ran k more tasks, which round-robins jobs with equal load.
 */
import type { TaskNeed } from './match'

export function jobKey(t: TaskNeed): string {
  return t.jobId !== undefined ? `job:${t.jobId}` : t.owner !== undefined ? `owner:${t.owner}` : ''
}

/** Indices of `tasks`, best first. `running` counts leased tasks per job id (or owner). */
export function rankTasks(tasks: TaskNeed[], running: Record<string, number> = {}): number[] {
  const prio = tasks.map((t) => t.priority ?? 0)
  const age = tasks.map((t) => t.createdAt ?? 0)
  const within = (a: number, b: number) => prio[b] - prio[a] || age[a] - age[b] || tasks[a].id - tasks[b].id
  const byJob = new Map<string, number[]>()
  tasks.forEach((t, i) => {
    const k = jobKey(t)
    const list = byJob.get(k)
    if (list) list.push(i)
    else byJob.set(k, [i])
  })
  const share = new Float64Array(tasks.length)
  for (const [key, list] of byJob) {
    const base = key === '' ? 0 : (running[key.slice(key.indexOf(':') + 1)] ?? 0)
    list.sort(within)
    // Tasks with no job share nothing: they keep share = base.
    list.forEach((ti, k) => (share[ti] = base + (key === '' ? 0 : k)))
  }
  return tasks.map((_, i) => i).sort((a, b) => prio[b] - prio[a] || share[a] - share[b] || age[a] - age[b] || tasks[a].id - tasks[b].id)
}
