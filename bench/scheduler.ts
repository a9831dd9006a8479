/**
 * Scheduler decision time for `npm run bench` (section "scheduler"): lib/scheduler/bench.ts
 * timed two ways. Wall time is what a dispatch waits; CPU time (this process's user+system)
 * is what the decision costs, and stays meaningful when other processes share the cores.
 */
import { benchAssign, benchDispatch, type BenchResult } from '../lib/scheduler/bench'

const cpuClock = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const r3 = (x: number) => +x.toFixed(3)

export function schedulerBench() {
  const wall = benchDispatch(undefined, { kept: true })
  const cpu = benchDispatch(cpuClock, { kept: true })
  const arrayWall = benchDispatch()
  const arrayCpu = benchDispatch(cpuClock)
  const bulk = benchAssign(undefined, { calls: 10 })
  const row = (name: string, r: BenchResult, perTask = false) => ({
    case: name,
    calls: r.calls,
    'idle devices': r3(r.meanIdle),
    'assigned/call': r3(r.meanAssigned),
    'p50 ms': r3(r.p50Ms),
    'p99 ms': r3(r.p99Ms),
    'max ms': r3(r.maxMs),
    ...(perTask ? { 'p50 ms/task': r3(r.p50Ms / Math.max(1, r.meanAssigned)) } : {}),
  })
  const table = [
    row('dispatch, kept queue (wall)', wall),
    row('dispatch, kept queue (cpu)', cpu),
    row('dispatch, array ranked per call (wall)', arrayWall),
    row('dispatch, array ranked per call (cpu)', arrayCpu),
    row('bulk: all idle (wall)', bulk, true),
  ]
  return { table, json: { dispatchWall: wall, dispatchCpu: cpu, arrayDispatchWall: arrayWall, arrayDispatchCpu: arrayCpu, bulk: { ...bulk, p50MsPerTask: bulk.p50Ms / Math.max(1, bulk.meanAssigned) } } }
}
