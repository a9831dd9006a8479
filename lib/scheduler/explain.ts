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

/**
 * What explaining needs from one pass over the idle devices for a task. It does not depend on
 * the chosen device, so alike tasks (Problem.classKey) share one: explaining a pass's n
 * placements costs O(devices) per class of task, not per task.
 */
export type Scan = {
  fits: number
  cheapest: number
  /** The two best fitting devices by (on time, cost), first found wins ties: the runner-up is best unless best was chosen. */
  best: number
  second: number
  /** Fastest devices to explain when the chosen one is on time (misfits and late fits) and when it is late (misfits only). */
  rejectedOnTime: { dj: number; speed: number; why: Misfit }[]
  rejectedLate: { dj: number; speed: number; why: Misfit }[]
}

function keepFastest(list: Scan['rejectedOnTime'], dj: number, speed: number, why: () => Misfit): void {
  if (list.length === MAX_REJECTED && speed <= list[MAX_REJECTED - 1].speed) return
  if (list.length === MAX_REJECTED) list.pop()
  let i = list.length
  while (i > 0 && list[i - 1].speed < speed) i--
  list.splice(i, 0, { dj, speed, why: why() })
}

export function scan(p: Problem, ti: number): Scan {
  const out: Scan = { fits: 0, cheapest: -1, best: -1, second: -1, rejectedOnTime: [], rejectedLate: [] }
  let cheapestCost = Infinity
  let bestLate = true
  let bestCost = Infinity
  let secondLate = true
  let secondCost = Infinity
  /** (late, cost) comes before the device held at `at` (with its own late and cost); none held: yes. */
  const before = (late: boolean, cost: number, at: number, atLate: boolean, atCost: number) => at < 0 || (!late && atLate) || (late === atLate && cost < atCost)
  for (let dj = 0; dj < p.devices.length; dj++) {
    const djMs = p.ms(ti, dj)
    const speed = p.devices[dj].gflops
    if (djMs === Infinity) {
      const why = () => p.misfit(ti, dj)
      keepFastest(out.rejectedOnTime, dj, speed, why)
      keepFastest(out.rejectedLate, dj, speed, why)
      continue
    }
    const djCost = djMs * p.pricePerMs[dj]
    const djLate = djMs > p.slack[ti]
    out.fits++
    if (djCost < cheapestCost) {
      out.cheapest = dj
      cheapestCost = djCost
    }
    if (before(djLate, djCost, out.best, bestLate, bestCost)) {
      out.second = out.best
      secondLate = bestLate
      secondCost = bestCost
      out.best = dj
      bestLate = djLate
      bestCost = djCost
    } else if (before(djLate, djCost, out.second, secondLate, secondCost)) {
      out.second = dj
      secondLate = djLate
      secondCost = djCost
    }
    if (djLate) keepFastest(out.rejectedOnTime, dj, speed, () => null)
  }
  return out
}

export function explain(p: Problem, ti: number, chosen: number, s: Scan = scan(p, ti)): Explanation {
  const task = p.tasks[ti]
  const ms = p.ms(ti, chosen)
  const cost = ms * p.pricePerMs[chosen]
  const late = ms > p.slack[ti]
  const runner = s.best === chosen ? s.second : s.best
  const reason: Explanation['reason'] =
    p.rule(ti).preferred === p.devices[chosen].id
      ? 'preferred'
      : s.fits === 1
        ? 'only-fit'
        : !late && s.cheapest !== chosen && p.ms(ti, s.cheapest) > p.slack[ti]
          ? 'deadline'
          : 'cheapest'
  return {
    taskId: task.id,
    deviceId: p.devices[chosen].id,
    reason,
    expectedMs: ms,
    cost,
    late,
    ...(runner >= 0 ? { runnerUp: { deviceId: p.devices[runner].id, expectedMs: p.ms(ti, runner), cost: p.ms(ti, runner) * p.pricePerMs[runner] } } : {}),
    rejected: (late ? s.rejectedLate : s.rejectedOnTime).map(({ dj, why }) => ({
      deviceId: p.devices[dj].id,
      why: why === null ? `would miss the deadline by ${Math.ceil(p.ms(ti, dj) - p.slack[ti])} ms` : misfitText(why, task, p.devices[dj]),
    })),
  }
}
