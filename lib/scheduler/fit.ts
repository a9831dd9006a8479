/**
 * Fit rules (pure): may this task run on this device right now?
 * One source for matchTasks and assign, so both keep a task off a device for the
 * same reasons: memory, backend, a device that already failed it, a preferred device.
 */
import type { DeviceSlot, TaskNeed } from './match'

/** Why a device cannot take a task; null when it can. */
/** 'costly': dearer than AssignOptions.maxCostRatio times the task's cheapest fitting connected device. */
export type Misfit = 'memory' | 'backend' | 'avoided' | 'waits-for-preferred' | 'costly' | null

export type FitRule = { avoid: Set<string>; strict: boolean; preferred: string | undefined }

/** Per-task part of the rule, computed once per call. `fleet` is every connected device, idle or busy. */
export function fitRule(task: TaskNeed, fleet: ReadonlySet<string>): FitRule {
  const avoid = new Set(task.avoid ?? [])
  // Another connected device (idle or not) could take it later: keep it off the ones that failed it.
  let strict = false
  for (const id of fleet) if (!avoid.has(id)) { strict = true; break }
  // Its device is connected: wait for it rather than move the stage's weights elsewhere.
  // A preferred device the task must avoid (it failed it, or holds another copy of it) is no preference.
  const preferred = task.prefer && fleet.has(task.prefer) && !avoid.has(task.prefer) ? task.prefer : undefined
  return { avoid, strict, preferred }
}

export function misfit(task: TaskNeed, device: DeviceSlot, rule: FitRule): Misfit {
  if (rule.preferred !== undefined && device.id !== rule.preferred) return 'waits-for-preferred'
  if (device.memoryBudget !== 0 && device.memoryBudget < task.memoryBytes) return 'memory'
  if (rule.strict && rule.avoid.has(device.id)) return 'avoided'
  if (task.backends && device.backend && !task.backends.includes(device.backend)) return 'backend'
  return null
}

/** The reason in words, for explanations. */
export function misfitText(why: Exclude<Misfit, null>, task: TaskNeed, device: DeviceSlot): string {
  switch (why) {
    case 'memory':
      return `needs ${task.memoryBytes} B, device budget ${device.memoryBudget} B`
    case 'backend':
      return `backend ${device.backend} cannot run it (needs ${task.backends!.join('|')})`
    case 'avoided':
      return 'already failed this task; another connected device can take it'
    case 'waits-for-preferred':
      return `waits for its connected preferred device ${task.prefer}`
    case 'costly':
      return 'costs more than the allowed multiple of its cheapest connected device: it waits for a cheaper one'
  }
}
