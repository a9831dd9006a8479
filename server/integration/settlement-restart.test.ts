/**
 * Crash safety of settlement on the embedded chain. The coordinator is killed with SIGKILL right
 * after it sends setRoot (before recording the hash), and in a second round right before it
 * sends (intent recorded only). After each restart: one root per epoch, the ledger and the chain agree,
 * and the published amounts cover every credit.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { startCoordinator, stopAll, tempDir, type Coord } from '../testing/harness'
import { chainOf, testAddress } from '../testing/chain'
import { withTestStore } from '../testing/store'

const dataDir = tempDir()
const env = { NIMBLE_EPOCH_SECONDS: '0' }
afterAll(stopAll)

/** Credits written straight into the stopped coordinator's database (1e9 FLOPs = 1.5e12 base units at the default rate). */
async function addCredits(address: string, device: string, firstInstance: number, n: number): Promise<void> {
  await withTestStore(
    dataDir,
    async (db) => {
      await db
        .insertInto('devices')
        .values({ id: device, name: device, kind: 'headless', backend: 'cpu', gflops: 1, profile_json: '{}', first_seen: 0, last_seen: 0, address: address.toLowerCase() })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute()
      await db
        .insertInto('credits')
        .values(Array.from({ length: n }, (_, i) => ({ instance_id: firstInstance + i, task_id: firstInstance + i, job_id: 'job_x', device_id: device, flops: 1e9, created_at: 0 })))
        .execute()
    },
    { write: true },
  )
}

function ledger(): Promise<{ epoch: number; root: string; state: string; tx_hash: string | null; total: string }[]> {
  return withTestStore(dataDir, (db) => db.selectFrom('reward_epochs').select(['epoch', 'root', 'state', 'tx_hash', 'total']).orderBy('epoch').execute())
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
  const rows = await ledger()
  expect(rows.map((x) => x.epoch)).toEqual(Array.from({ length: expectedEpochs }, (_, i) => i + 1))
  // Named in the failure: which epoch was not confirmed, or confirmed without its transaction.
  expect(rows.every((x) => x.state === 'confirmed' && x.tx_hash), `ledger: ${JSON.stringify(rows.map(({ epoch, state, tx_hash }) => ({ epoch, state, tx_hash })))}`).toBe(true)
  expect(await chain.chainEpoch()).toBe(BigInt(expectedEpochs))
  for (const row of rows) expect(await chain.rootOf(BigInt(row.epoch))).toBe(row.root)
  // Exactly one RootSet event per epoch on chain.
  const logs = await chain.pub.getLogs({ address: chain.info.distributor, event: { type: 'event', name: 'RootSet', inputs: [{ type: 'uint256', name: 'epoch', indexed: true }, { type: 'bytes32', name: 'root', indexed: true }] }, fromBlock: 0n })
  expect(logs.map((l) => Number(l.args.epoch))).toEqual(rows.map((x) => x.epoch))
  return c
}

describe('settlement survives kill -9', () => {
  it('reconciles a root sent but not recorded, then one recorded but never sent', async () => {
    // First start creates the database and the embedded chain; stop it cleanly.
    const first = await startCoordinator({ dataDir, chain: true, env })
    await first.kill('SIGTERM')
    await addCredits(testAddress('carol'), 'dev_carol_001', 1, 3)

    await crashDuringSettle('crash-after-send')
    let c = await restartAndCheck(1, 3n * 10n ** 9n * 1500n)
    await c.kill('SIGTERM')

    await addCredits(testAddress('dave'), 'dev_dave_0001', 100, 2)
    await crashDuringSettle('crash-before-send')
    expect((await ledger()).at(-1)).toMatchObject({ epoch: 2, state: 'pending', tx_hash: null })
    c = await restartAndCheck(2, 5n * 10n ** 9n * 1500n)
    const dave = (await c.api.call('GET', `/api/rewards/${testAddress('dave')}`)).body
    expect(dave).toMatchObject({ epoch: 2, cumulativeAmount: (2n * 10n ** 9n * 1500n).toString(), claimable: (2n * 10n ** 9n * 1500n).toString() })
  }, 240_000)
})
