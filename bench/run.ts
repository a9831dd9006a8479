/**
 * `npm run bench`: rounds per second and coordinator overhead per task for a small
 * training job (Iris, logistic regression) with 1, 2 and 4 headless workers (cpu backend),
 * each against a fresh coordinator; then time to accuracy and bytes moved on MNIST next to a
 * single-process tfjs baseline (bench/time-to-accuracy.ts); and pipeline inference with K = 4
 * stages and 1, 4, 16 micro-batches next to GPipe's bound (bench/pipeline.ts); the
 * scheduler's decision time (bench/scheduler.ts); and the replication overhead of
 * verification with an honest fleet (bench/verification.ts). Prints tables, writes
 * bench/results/bench.json. `npm run bench -- --only scheduler` (or rounds, pipeline,
 * accuracy, verification; comma-separated) runs those sections only and updates just their
 * part of bench.json.
 *
 * Figures per configuration (medians over the job's tasks / rounds):
 *   rounds/s         rounds completed per second of wall time, first lease to last round
 *   task overhead    lease-to-result time minus the device's own compute time: dispatch,
 *                    blob fetches, upload, validation (what the coordinator path costs a task)
 *   round gap        last result of round r to first lease of round r+1: averaging,
 *                    evaluation, planning and dispatch
 */
import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { irisCsv } from '../server/testing/iris'
import { ROOT, startCoordinator, startWorker, stopAll, waitUntil } from '../server/testing/harness'
import { pipelineBench } from './pipeline'
import { schedulerBench } from './scheduler'
import { timeToAccuracy } from './time-to-accuracy'
import { verificationBench, type VerificationRow } from './verification'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30)
const CONFIGS = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number)

function median(xs: number[]): number {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

type Row = { workers: number; rounds: number; tasks: number; wallSec: number; roundsPerSec: number; taskOverheadMsP50: number; computeMsP50: number; roundGapMsP50: number }

async function one(workers: number): Promise<Row> {
  const coord = await startCoordinator({ env: { NIMBLE_LOG_LEVEL: 'warn' } })
  try {
    for (let i = 0; i < workers; i++) await startWorker(coord.url, { name: `b${i}`, backend: 'cpu' })
    await waitUntil(async () => (await coord.api.call('GET', '/api/network')).body.devicesOnline === workers, 60_000, 'workers online')
    const ds = await coord.api.call('POST', '/api/datasets', irisCsv().train)
    const job = await coord.api.call('POST', '/api/jobs', { type: 'train', datasetId: ds.body.id, target: 'species', model: { template: 'logistic' }, epochs: ROUNDS })
    if (job.status !== 201) throw new Error(JSON.stringify(job.body))
    await waitUntil(async () => (await coord.api.call('GET', `/api/jobs/${job.body.id}`)).body.status === 'succeeded', 600_000, 'job', 100)
    const db = new SQLite(path.join(coord.dataDir, 'nimble.sqlite'), { readonly: true })
    const inst = db
      .prepare(`select i.leased_at, i.finished_at, i.elapsed_ms, t.round from instances i join tasks t on t.id = i.task_id where i.state = 'valid' and i.job_id = ?`)
      .all(job.body.id) as { leased_at: number; finished_at: number; elapsed_ms: number; round: number }[]
    db.close()
    const overhead = inst.map((i) => i.finished_at - i.leased_at - i.elapsed_ms)
    const byRound = new Map<number, { firstLease: number; lastDone: number }>()
    for (const i of inst) {
      const r = byRound.get(i.round) ?? { firstLease: Infinity, lastDone: 0 }
      r.firstLease = Math.min(r.firstLease, i.leased_at)
      r.lastDone = Math.max(r.lastDone, i.finished_at)
      byRound.set(i.round, r)
    }
    const gaps: number[] = []
    for (let r = 1; r < ROUNDS; r++) {
      const a = byRound.get(r - 1)
      const b = byRound.get(r)
      if (a && b) gaps.push(b.firstLease - a.lastDone)
    }
    const start = Math.min(...inst.map((i) => i.leased_at))
    const end = Math.max(...inst.map((i) => i.finished_at))
    const wallSec = (end - start) / 1000
    return {
      workers,
      rounds: ROUNDS,
      tasks: inst.length,
      wallSec: +wallSec.toFixed(2),
      roundsPerSec: +(ROUNDS / wallSec).toFixed(2),
      taskOverheadMsP50: +median(overhead).toFixed(1),
      computeMsP50: +median(inst.map((i) => i.elapsed_ms)).toFixed(1),
      roundGapMsP50: +median(gaps).toFixed(1),
    }
  } finally {
    await stopAll()
  }
}

function printVerification(v: VerificationRow): void {
  console.log('\nVerification overhead, honest fleet (Iris logistic, in-process cpu workers; task instances run / tasks needed, target <= 1.2)\n')
  console.table([v])
}

const SECTIONS = ['rounds', 'pipeline', 'accuracy', 'scheduler', 'verification'] as const
type Section = (typeof SECTIONS)[number]

function sections(argv: string[]): Set<Section> {
  const at = argv.indexOf('--only')
  if (at < 0) return new Set(SECTIONS)
  const list = (argv[at + 1] ?? '').split(',').filter(Boolean)
  const bad = list.filter((x) => !(SECTIONS as readonly string[]).includes(x))
  if (list.length === 0 || bad.length) {
    console.error(`bench: --only takes one or more of ${SECTIONS.join(', ')} (comma-separated)${bad.length ? `; unknown: ${bad.join(', ')}` : ''}`)
    process.exit(2)
  }
  return new Set(list as Section[])
}

async function main() {
  const only = sections(process.argv.slice(2))
  const results: Record<string, unknown> = {}
  if (only.has('rounds')) results.rounds = await roundsSection()
  if (only.has('pipeline')) results.pipeline = await pipelineSection()
  if (only.has('accuracy')) results.timeToAccuracy = await accuracySection()
  if (only.has('scheduler')) {
    const sched = schedulerBench()
    console.log('\nScheduler decision time (assign over 10,000 ready tasks, fleet of 1,000 devices; see bench/scheduler.ts)\n')
    console.table(sched.table)
    results.scheduler = sched.json
  }
  if (only.has('verification')) {
    const v = await verificationBench()
    printVerification(v)
    results.verification = v
  }
  const out = path.join(ROOT, 'bench/results/bench.json')
  fs.mkdirSync(path.dirname(out), { recursive: true })
  // A partial run keeps the other sections from the last full one.
  const before = only.size < SECTIONS.length && fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : {}
  fs.writeFileSync(out, JSON.stringify({ ...before, at: new Date().toISOString(), node: process.version, cpus: (await import('node:os')).cpus().length, ...results }, null, 2))
  console.log(`\nwrote ${path.relative(ROOT, out)}`)
}

async function roundsSection(): Promise<Row[]> {
  const rows: Row[] = []
  for (const n of CONFIGS) {
    process.stderr.write(`bench: ${n} worker(s), ${ROUNDS} rounds…\n`)
    rows.push(await one(n))
  }
  console.log('\nTraining rounds (Iris, logistic regression, cpu backend, one coordinator on this machine)\n')
  console.table(rows)
  return rows
}

async function pipelineSection() {
  const pipeline = process.env.BENCH_SKIP_PIPELINE ? [] : await pipelineBench()
  if (pipeline.length) {
    console.log('\nPipeline inference (16 Dense 256 layers in 4 segments on 4 headless cpu workers, 64-row micro-batches)\n')
    console.table(pipeline)
  }
  return pipeline
}

async function accuracySection() {
  const accuracy = process.env.BENCH_SKIP_ACCURACY ? [] : await timeToAccuracy(CONFIGS)
  if (accuracy.length) {
    console.log('\nTime to validation accuracy (MNIST 8,000 digits, MLP 784-256-10, wasm backend)\n')
    console.table(accuracy)
  }
  return accuracy
}

main().catch(async (e) => {
  console.error(e)
  await stopAll()
  process.exit(1)
})
