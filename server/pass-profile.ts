/**
 * NIMBLE_PASS_PROFILE=1 (a diagnostic for bench:load): every 5 s, on stderr, how many passes ran,
 * their average size, and the milliseconds they spent in each phase.
 */
export function passProfiler() {
  const ms = new Map<string, number>()
  let passes = 0
  let devices = 0
  let ready = 0
  let leased = 0
  setInterval(() => {
    if (!passes) return
    const phases = [...ms].map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')
    process.stderr.write(`dispatch: ${passes} passes, per pass ${(devices / passes).toFixed(0)} idle devices, ${(ready / passes).toFixed(0)} ready tasks read, ${(leased / passes).toFixed(0)} leased; ms in all: ${phases}\n`)
    passes = devices = ready = leased = 0
    ms.clear()
  }, 5000).unref()
  return {
    /** Starts timing a pass: lap(phase) adds the time since the previous lap to that phase. */
    start() {
      let t = performance.now()
      return (phase: string) => {
        const now = performance.now()
        ms.set(phase, (ms.get(phase) ?? 0) + now - t)
        t = now
      }
    },
    done(idle: number, readRows: number, chosen: number) {
      passes++
      devices += idle
      ready += readRows
      leased += chosen
    },
  }
}
