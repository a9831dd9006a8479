/**
 * `npm run simulate -- --devices 1000 --mix volunteer --churn 0.05`: the fleet simulator
 * (lib/sim) with each policy on the same fleet, churn and workload. Prints a table per
 * policy and writes bench/results/simulate.json.
 */
import fs from 'node:fs'
import path from 'node:path'
import { simulate, type SimResult } from '../lib/sim/engine'
import { POLICIES, type PolicyName } from '../lib/sim/policies'
import { MIXES, parseMix } from '../lib/sim/profiles'

const USAGE = `usage: npm run simulate -- [--devices N] [--mix NAME|class=w,...] [--churn RATE] [--seed N] [--policies a,b]

  --devices N     devices online at the start (default 1000)
  --mix M         device classes: ${Object.keys(MIXES).join(', ')} (default volunteer), or weights
                  like cpu-wasm=60,consumer-1080=25,mid=10,high=4,datacenter=1
  --churn RATE    fraction of the fleet leaving per simulated minute, replaced by as many
                  arrivals (default 0.05: 5% a minute, a mean session of 20 minutes; 0: none)
  --seed N        seed for fleet, churn and workload (default 1)
  --policies L    comma-separated subset of ${POLICIES.join(', ')} (default all)
`

function fail(msg: string): never {
  process.stderr.write(`simulate: ${msg}\n\n${USAGE}`)
  process.exit(2)
}

export function parseArgs(argv: string[]) {
  const o = { devices: 1000, mix: 'volunteer', churn: 0.05, seed: 1, policies: [...POLICIES] as PolicyName[] }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(USAGE)
      process.exit(0)
    }
    const value = argv[i + 1]
    if (value === undefined || value.startsWith('--')) fail(`${flag} needs a value`)
    i++
    const num = (min: number, int: boolean) => {
      const x = Number(value)
      if (!Number.isFinite(x) || x < min || (int && !Number.isInteger(x))) fail(`${flag} must be ${int ? 'a whole number' : 'a number'} >= ${min}, got "${value}"`)
      return x
    }
    if (flag === '--devices') o.devices = num(1, true)
    else if (flag === '--mix') o.mix = value
    else if (flag === '--churn') o.churn = num(0, false)
    else if (flag === '--seed') o.seed = num(0, true)
    else if (flag === '--policies') {
      const list = value.split(',')
      const bad = list.filter((p) => !(POLICIES as readonly string[]).includes(p))
      if (bad.length) fail(`unknown policy ${bad.join(', ')}; policies: ${POLICIES.join(', ')}`)
      o.policies = list as PolicyName[]
    } else fail(`unknown flag ${flag}`)
  }
  if (o.churn >= 1) fail(`--churn is a fraction per minute and must be below 1, got ${o.churn}`)
  let mix
  try {
    mix = parseMix(o.mix)
  } catch (e) {
    fail((e as Error).message)
  }
  return { ...o, mixWeights: mix }
}

function main() {
  const o = parseArgs(process.argv.slice(2))
  const results: (SimResult & { wallSec: number })[] = []
  for (const p of o.policies) {
    process.stderr.write(`simulate: ${p} on ${o.devices} devices…\n`)
    const t0 = performance.now()
    const r = simulate(p, { devices: o.devices, mix: o.mixWeights, churn: o.churn, seed: o.seed })
    results.push({ ...r, wallSec: (performance.now() - t0) / 1000 })
  }
  const f = (x: number, d = 1) => +x.toFixed(d)
  console.log(`\nFleet simulation: ${o.devices} devices, mix ${o.mix}, churn ${o.churn}/min, seed ${o.seed}\n`)
  console.table(
    results.map((r) => ({
      policy: r.policy,
      'makespan s': f(r.makespanSec),
      'cost tokens': f(r.cost, 2),
      utilization: `${f(100 * r.utilization)}%`,
      'wasted device-s': f(r.wastedDeviceSec),
      'wasted cost': `${f((100 * r.wastedCost) / Math.max(r.cost, 1e-12))}%`,
      'tasks done': r.tasksDone,
      'lost to churn': r.tasksLost,
      spares: `${r.sparesWon}/${r.sparesLaunched}`,
      finished: r.finished,
    })),
  )
  const nimble = results.find((r) => r.policy === 'nimble')
  if (nimble) {
    for (const r of results.filter((x) => x !== nimble)) {
      console.log(`nimble vs ${r.policy}: makespan ${f(100 * (1 - nimble.makespanSec / r.makespanSec))}% shorter, cost ${f(100 * (1 - nimble.cost / r.cost))}% lower`)
    }
  }
  const out = path.join(process.cwd(), 'bench/results/simulate.json')
  fs.mkdirSync(path.dirname(out), { recursive: true })
  fs.writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), options: { devices: o.devices, mix: o.mix, weights: o.mixWeights, churnPerMin: o.churn, seed: o.seed }, results }, null, 2))
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`)
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) main()
