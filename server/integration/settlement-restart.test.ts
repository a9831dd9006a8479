/**
 * Crash safety of settlement on the embedded chain. The coordinator is killed with SIGKILL right
 * after it sends setRoot (before recording the hash), and in a second round right before it
 * sends (intent recorded only). After each restart: one root per epoch, the ledger and the chain agree,
 * and the published amounts cover every credit.
 */
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { startCoordinator, stopAll, tempDir, type Coord } from '../testing/harness'
import { chainOf, testAddress } from '../testing/chain'
import { sqliteOnlySkipped } from '../testing/harness'

const dataDir = tempDir()
const env = { NIMBLE_EPOCH_SECONDS: '0' }
afterAll(stopAll)

/** Credits written straight into the stopped coordinator's database (1e9 FLOPs = 1.5e12 base units at the default rate). */
function addCredits(address: string, device: string, firstInstance: number, n: number): void {
  const db = new SQLite(path.join(dataDir, 'nimble.sqlite'))
  try {
    db.prepare(`INSERT OR IGNORE INTO devices (id, name, kind, backend, gflops, profile_json, first_seen, last_seen, address) VALUES (?, ?, 'headless', 'cpu', 1, '{}', 0, 0, ?)`).run(device, device, address.toLowerCase())
    const ins = db.prepare(`INSERT INTO credits (instance_id, task_id, job_id, device_id, flops, created_at) VALUES (?, ?, 'job_x', ?, 1e9, 0)`)
    for (let i = 0; i < n; i++) ins.run(firstInstance + i, firstInstance + i, device)
  } finally {
    db.close()
  }
}

function ledger(): { epoch: number; root: string; state: string; tx_hash: string | null; total: string }[] {
  const db = new SQLite(path.join(dataDir, 'nimble.sqlite'), { readonly: true })
  try {
    return db.prepare('SELECT epoch, root, state, tx_hash, total FROM reward_epochs ORDER BY epoch').all() as never
  } finally {
    db.close()
  }
}

async function crashDuringSettle(fault: string): Promise<void> {
  const c = await startCoordinator({ dataDir, chain: true, env: { ...env, NIMBLE_FAULT_SETTLEMENT: fault } })
  const res = await c.api.call('POST', '/api/rewards/settle').catch((e) => ({ status: 0, body: String(e) }))
  expect(res.status).toBe(0) // the connection died with the process
  await new Promise<void>((resolve) => (c.child.exitCode !== null || c.child.signalCode !== null ? resolve() : c.child.once('exit', () => resolve())))
  expect(c.child.signalCode).toBe('SIGKILL')
}

async function restartAndCheck(expectedEpochs: number, expectedTotal: bigint): Promise<Coord> {
  const c = await startCoordinator({ dataDir, chain: true, env })
  const chain = await chainOf(c)
  const r = (await c.api.call('POST', '/api/rewards/settle')).body
  expect(r.status).toBe('unchanged')
  expect(r.epoch).toBe(expectedEpochs)
  expect(BigInt(r.total)).toBe(expectedTotal)
  const rows = ledger()
  expect(rows.map((x) => x.epoch)).toEqual(Array.from({ length: expectedEpochs }, (_, i) => i + 1))
  expect(rows.every((x) => x.state === 'confirmed' && x.tx_hash)).toBe(true)
  expect(await chain.chainEpoch()).toBe(BigInt(expectedEpochs))
  for (const row of rows) expect(await chain.rootOf(BigInt(row.epoch))).toBe(row.root)
  // Exactly one RootSet event per epoch on chain.
  const logs = await chain.pub.getLogs({ address: chain.info.distributor, event: { type: 'event', name: 'RootSet', inputs: [{ type: 'uint256', name: 'epoch', indexed: true }, { type: 'bytes32', name: 'root', indexed: true }] }, fromBlock: 0n })
  expect(logs.map((l) => Number(l.args.epoch))).toEqual(rows.map((x) => x.epoch))
  return c
}

describe.skipIf(sqliteOnlySkipped(import.meta.url))('settlement survives kill -9', () => {
  it('reconciles a root sent but not recorded, then one recorded but never sent', async () => {
    // First start creates the database and the embedded chain; stop it cleanly.
    const first = await startCoordinator({ dataDir, chain: true, env })
    await first.kill('SIGTERM')
    addCredits(testAddress('carol'), 'dev_carol_001', 1, 3)

    await crashDuringSettle('crash-after-send')
    let c = await restartAndCheck(1, 3n * 10n ** 9n * 1500n)
    await c.kill('SIGTERM')

    addCredits(testAddress('dave'), 'dev_dave_0001', 100, 2)
    await crashDuringSettle('crash-before-send')
    expect(ledger().at(-1)).toMatchObject({ epoch: 2, state: 'pending', tx_hash: null })
    c = await restartAndCheck(2, 5n * 10n ** 9n * 1500n)
    const dave = (await c.api.call('GET', `/api/rewards/${testAddress('dave')}`)).body
    expect(dave).toMatchObject({ epoch: 2, cumulativeAmount: (2n * 10n ** 9n * 1500n).toString(), claimable: (2n * 10n ** 9n * 1500n).toString() })
  }, 240_000)
})
