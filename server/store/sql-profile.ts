import type SQLite from 'better-sqlite3'

/**
 * Diagnostics (NIMBLE_SQL_PROFILE=<seconds>): times every SQLite statement by its SQL text and
 * prints the costliest to stderr every so many seconds. For finding the query that eats the
 * coordinator's time under load (bench:load); off unless set.
 */
export function sqlProfile(everyS: number) {
  const totals = new Map<string, { n: number; ms: number }>()
  const timer = setInterval(() => {
    const top = [...totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)
    const all = [...totals.values()].reduce((a, t) => a + t.ms, 0)
    process.stderr.write(`sql profile: ${all.toFixed(0)} ms in ${[...totals.values()].reduce((a, t) => a + t.n, 0)} statements over ${everyS} s\n`)
    for (const [text, t] of top) process.stderr.write(`  ${t.ms.toFixed(0).padStart(6)} ms ${String(t.n).padStart(7)}× ${(t.ms / t.n).toFixed(3)} ms  ${text.replace(/\s+/g, ' ').slice(0, 220)}\n`)
    totals.clear()
  }, Math.max(1, everyS) * 1000)
  timer.unref()
  const time = (text: string, t0: number) => {
    const t = totals.get(text) ?? { n: 0, ms: 0 }
    t.n++
    t.ms += performance.now() - t0
    totals.set(text, t)
  }
  return {
    /** Times `db.exec` too (the turn driver's BEGIN, SAVEPOINT, RELEASE and COMMIT). */
    wrapExec(sqlite: SQLite.Database): void {
      const exec = sqlite.exec.bind(sqlite)
      sqlite.exec = (text: string) => {
        const t0 = performance.now()
        try {
          return exec(text)
        } finally {
          time(text.replace(/_\d+$/, '_N'), t0)
        }
      }
    },
    wrap(text: string, stmt: SQLite.Statement): SQLite.Statement {
      return new Proxy(stmt, {
        get(target, prop) {
          const v = Reflect.get(target, prop, target)
          if (typeof v !== 'function') return v
          if (prop !== 'all' && prop !== 'run' && prop !== 'get' && prop !== 'iterate') return v.bind(target)
          return (...args: unknown[]) => {
            const t0 = performance.now()
            try {
              return v.apply(target, args)
            } finally {
              time(text, t0)
            }
          }
        },
      })
    },
  }
}
