/**
 * Why a task went where it went (pure), for the dashboard and the logs.
 * reason: 'preferred' (its connected preferred device), 'only-fit' (the one idle device it
 * fits), 'deadline' (its cheapest device would miss the deadline, this one does not),
 * 'cheapest' (least total cost for the whole call; a cheaper device for this task alone,
 * if any, went to a task that gained more from it: see runnerUp).
 */
import { misfitText, type Misfit } from './fit'
import type { Problem } from './problem'

export type Explanation = {
  taskId: number
  deviceId: string
  reason: 'cheapest' | 'only-fit' | 'preferred' | 'deadline'
  expectedMs: number
  cost: number
  /** No idle device could finish before the task's deadline: it got the cheapest placement anyway. */
  late: boolean
  /** The best other idle device for this task (on time first, then cost); if it is late it is also in rejected. */
  runnerUp?: { deviceId: string; expectedMs: number; cost: number }
  /** Idle devices it could not use (or that would miss its deadline), fastest first, at most 5. */
  rejected: { deviceId: string; why: string }[]
}

const MAX_REJECTED = 5

export function explain(p: Problem, ti: number, chosen: number): Explanation {
  const task = p.tasks[ti]
  const ms = p.ms(ti, chosen)
  const cost = ms * p.pricePerMs[chosen]
  const late = ms > p.slack[ti]
  let fits = 0
  let cheapest = -1
  let cheapestCost = Infinity
  let runner = -1
  let runnerLate = true
  let runnerCost = Infinity
  const rejected: { dj: number; speed: number; why: Misfit }[] = []
  for (let dj = 0; dj < p.devices.length; dj++) {
    const djMs = p.ms(ti, dj)
    const fit = djMs !== Infinity
    const djCost = fit ? djMs * p.pricePerMs[dj] : Infinity
    if (fit) {
      fits++
      if (djCost < cheapestCost) {
        cheapest = dj
        cheapestCost = djCost
      }
      if (dj === chosen) continue
      const djLate = djMs > p.slack[ti]
      if (runner < 0 || (!djLate && runnerLate) || (djLate === runnerLate && djCost < runnerCost)) {
        runner = dj
        runnerLate = djLate
        runnerCost = djCost
      }
      if (!djLate || late) continue
    }
    // The fastest devices it could not use are the ones worth explaining.
    const speed = p.devices[dj].gflops
    if (rejected.length === MAX_REJECTED && speed <= rejected[MAX_REJECTED - 1].speed) continue
    if (rejected.length === MAX_REJECTED) rejected.pop()
    let i = rejected.length
    while (i > 0 && rejected[i - 1].speed < speed) i--
    rejected.splice(i, 0, { dj, speed, why: fit ? null : p.misfit(ti, dj) })
  }
  const reason: Explanation['reason'] =
    p.rule(ti).preferred === p.devices[chosen].id
      ? 'preferred'
      : fits === 1
        ? 'only-fit'
        : !late && cheapest !== chosen && p.ms(ti, cheapest) > p.slack[ti]
          ? 'deadline'
          : 'cheapest'
  return {
    taskId: task.id,
    deviceId: p.devices[chosen].id,
    reason,
    expectedMs: ms,
    cost,
    late,
    ...(runner >= 0 ? { runnerUp: { deviceId: p.devices[runner].id, expectedMs: p.ms(ti, runner), cost: runnerCost } } : {}),
    rejected: rejected.map(({ dj, why }) => ({
      deviceId: p.devices[dj].id,
      why: why === null ? `would miss the deadline by ${Math.ceil(p.ms(ti, dj) - p.slack[ti])} ms` : misfitText(why, task, p.devices[dj]),
    })),
  }
}
