/**
 * Crash points for tests of recovery: `NIMBLE_FAILPOINT=name[@n]` makes the process kill itself
 * (SIGKILL: no clean-up, no flush) when it reaches the point named `name`, at its n-th arrival
 * or at the arrival whose `at` value is n. Tests use it to die at the one instant a random
 * kill -9 would only hit by luck (between a round's last accepted result and its averaging).
 * Unset in every real deployment: then `failpoint()` is a no-op costing one comparison.
 */
const spec = parse(process.env.NIMBLE_FAILPOINT)
let arrivals = 0

function parse(raw: string | undefined): { name: string; n: number | null } | null {
  if (!raw) return null
  const m = /^([a-z][a-z0-9:-]*)(?:@(\d+))?$/.exec(raw.trim())
  if (!m) throw new Error(`NIMBLE_FAILPOINT: expected name or name@n, got ${JSON.stringify(raw)}`)
  return { name: m[1], n: m[2] === undefined ? null : Number(m[2]) }
}

/** Kills the process here if NIMBLE_FAILPOINT names this point (and `at` or the arrival count matches). */
export function failpoint(name: string, at?: number): void {
  if (!spec || spec.name !== name) return
  arrivals++
  const hit = spec.n === null || (at !== undefined ? at === spec.n : arrivals === spec.n)
  if (!hit) return
  process.stderr.write(`failpoint ${name}${at !== undefined ? `@${at}` : ''}: killing process ${process.pid}\n`)
  process.kill(process.pid, 'SIGKILL')
}

/** Whether NIMBLE_FAILPOINT names this point (code with another path that skips the point takes the one that has it). */
export function armed(name: string): boolean {
  return spec?.name === name
}
