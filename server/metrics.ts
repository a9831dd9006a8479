/**
 * Prometheus metrics (prom-client), served at GET /metrics by server/index.ts.
 *
 * Counters move where things happen: every state transition the log records (server/log.ts
 * `transition`) also counts here, so validation outcomes (instance leased=>valid|invalid),
 * expiries and job outcomes need no extra hooks; the dispatcher times its passes; settlement
 * counts its runs. Gauges that are facts about the present (devices online, tasks by state)
 * are read when scraped. Per process: each coordinator serves its own devices; the task
 * gauges read the shared database.
 */
import client from 'prom-client'

export const metricsRegistry = new client.Registry()
client.collectDefaultMetrics({ register: metricsRegistry, prefix: 'nimble_process_' })

// Transitions and outcomes are tallied as plain numbers (entity -> from -> to -> count) and added
// to their counters when the counters are read: prom-client builds and hashes a label key at
// every inc, and a task makes several transitions (about 1% of the coordinator's main-thread
// CPU under bench:load).
const transitionTally = new Map<string, Map<string, Map<string, number>>>()
const outcomeTally = new Map<string, number>()

export const transitions = new client.Counter({
  name: 'nimble_transitions_total',
  help: 'State transitions by entity (task, instance, job, device, reward_epoch) and target state',
  labelNames: ['entity', 'from', 'to'] as const,
  registers: [metricsRegistry],
  collect() {
    for (const [entity, byFrom] of transitionTally)
      for (const [from, byTo] of byFrom)
        for (const [to, n] of byTo)
          if (n > 0) {
            this.inc({ entity, from, to }, n)
            byTo.set(to, 0)
          }
  },
})

export const validations = new client.Counter({
  name: 'nimble_validation_total',
  help: 'Task results checked, by outcome (valid, invalid, pending: waiting for its quorum)',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
  collect() {
    for (const [outcome, n] of outcomeTally)
      if (n > 0) {
        this.inc({ outcome }, n)
        outcomeTally.set(outcome, 0)
      }
  },
})

const ms = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].map((x) => x / 1000)

export const dispatchDecision = new client.Histogram({
  name: 'nimble_dispatch_decision_seconds',
  help: 'Time the scheduler (lib/scheduler assign) took per dispatch pass',
  buckets: ms,
  registers: [metricsRegistry],
})

export const dispatchPass = new client.Histogram({
  name: 'nimble_dispatch_pass_seconds',
  help: 'Whole dispatch pass: reading ready tasks, deciding, writing leases, sending',
  buckets: ms,
  registers: [metricsRegistry],
})

export const assignments = new client.Counter({
  name: 'nimble_dispatch_assignments_total',
  help: 'Leases made by this coordinator',
  registers: [metricsRegistry],
})

export const leasesHeld = new client.Histogram({
  name: 'nimble_device_leases_held',
  help: 'Leases a device holds right after it is given one (at most its slots, NIMBLE_DEVICE_MAX_TASKS)',
  buckets: [1, 2, 4, 8, 16, 32, 64],
  registers: [metricsRegistry],
})

export const settlements = new client.Counter({
  name: 'nimble_settlement_total',
  help: 'Settlement runs by result (settled, unchanged, nothing, error)',
  labelNames: ['status'] as const,
  registers: [metricsRegistry],
})

/** Sources for the gauges read at scrape time; the coordinator sets them once started. */
export const sources: {
  devicesByBackend?: () => Record<string, number>
  tasksByState?: () => Promise<Record<string, number>>
  dbUp?: () => Promise<boolean>
} = {}

new client.Gauge({
  name: 'nimble_devices_online',
  help: 'Devices connected to this coordinator, by tfjs backend',
  labelNames: ['backend'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset()
    for (const [backend, n] of Object.entries(sources.devicesByBackend?.() ?? {})) this.set({ backend }, n)
  },
})

new client.Gauge({
  name: 'nimble_tasks',
  help: 'Tasks in the database by state',
  labelNames: ['state'] as const,
  registers: [metricsRegistry],
  async collect() {
    this.reset()
    const counts = (await sources.tasksByState?.().catch(() => null)) ?? {}
    for (const [state, n] of Object.entries(counts)) this.set({ state }, n)
  },
})

new client.Gauge({
  name: 'nimble_database_up',
  help: '1 when the database answered the last scrape',
  registers: [metricsRegistry],
  async collect() {
    this.set((await sources.dbUp?.().catch(() => false)) ? 1 : 0)
  },
})

/** Called by `transition()` for every logged state change. */
export function countTransition(entity: string, from: string, to: string): void {
  let byFrom = transitionTally.get(entity)
  if (!byFrom) transitionTally.set(entity, (byFrom = new Map()))
  let byTo = byFrom.get(from)
  if (!byTo) byFrom.set(from, (byTo = new Map()))
  byTo.set(to, (byTo.get(to) ?? 0) + 1)
  if (entity === 'instance' && (to === 'valid' || to === 'invalid' || to === 'pending')) outcomeTally.set(to, (outcomeTally.get(to) ?? 0) + 1)
}
