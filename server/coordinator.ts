/**
 * Wires the services together around one store and one Socket.IO server, and exposes
 * the domain operations the REST routes call. Start-up order matters: recover leases
 * (no device is connected yet), then let the planner and assimilator catch up on
 * whatever the last process left half done, then accept devices.
 */
import type { Server as HttpServer } from 'node:http'
import * as tf from '@tensorflow/tfjs'
import { Server as IOServer } from 'socket.io'
import {
  DEVICE_NAMESPACE,
  LIVE_NAMESPACE,
  type CreateJobBody,
  type DatasetView,
  type HealthView,
  type DeviceClientToServer,
  type DeviceServerToClient,
  type JobView,
  type JobEstimate,
  type LiveClientToServer,
  type LiveServerToClient,
  type LeaderboardView,
  type NetworkView,
  type ModelView,
  type PredictResponse,
  type TemplateModelBody,
  type UploadModelBody,
  NimbleError,
} from '../lib/protocol'
import { Assimilator } from './assimilator'
import { loadOwnerKey, type OwnerKey } from './auth'
import { accountsApi, type AccountsApi } from './accounts/api'
import { assertJobQuota, assertJobRefsOwned, assertOwned, setOwner } from './accounts/access'
import { authenticate, type Credentials } from './accounts/authenticate'
import type { Principal } from './accounts/principal'
import { blobRefs, checkTaskToken, signTaskBlobs } from './blob-tokens'
import { taskPayload } from './payloads'
import { loadSecret } from './secret'
import { BlobStore } from './blobs'
import { Bus } from './bus'
import type { Config } from './config'
import type { Ctx } from './context'
import { createDataset, createImageDataset, datasetView, getDatasetRow, listDatasets } from './datasets'
import { attachDeviceNamespace } from './device-socket'
import { Dispatcher, wireDispatcher } from './dispatcher'
import { cancelJob, createJob, jobView, listJobs } from './jobs'
import { estimateJob } from './estimate'
import { Leases } from './leases'
import { attachLiveNamespace } from './live-socket'
import type { Logger } from './log'
import { checkHealth } from './health'
import { jobOutputs, modelArtifacts, predict } from './model-artifacts'
import { getModelRow, listModels, modelView, uploadModel, uploadTemplateModel } from './models'
import { leaderboard } from './leaderboard'
import { networkView } from './network'
import { Planner } from './planner'
import { PipelineTrainer } from './pipeline-train'
import { Registry } from './registry'
import { isPostgres, openStore, postgres, sqliteFile, type Store } from './store/db'
import { Durability, storeFlush } from './store/durability'
import { Cluster } from './cluster'
import { attachRedis } from './cluster-io'
import { sources } from './metrics'
import { socketParser } from './socket-parser'
import { TensorCache } from './tensor-cache'
import { Validator } from './validator'
import { rewardsApi, type RewardsApi } from './chain/rewards-api'
import { startChain } from './chain/service'

export type Coordinator = {
  config: Config
  ownerKey: OwnerKey
  blobs: BlobStore
  /** The caller behind a request's Authorization header or session cookie (401 when none). */
  authenticate(cred: Credentials): Promise<Principal>
  /** May this request read blob `hash`? A lease-scoped token of a held task, or the admin key. */
  blobAllowed(hash: string, token: string | null, cred: Credentials): Promise<boolean>
  createDataset(who: Principal, csv: string, name: string): Promise<DatasetView>
  createImageDataset(who: Principal, zip: Uint8Array, name: string): Promise<DatasetView>
  uploadModel(who: Principal, body: UploadModelBody): Promise<ModelView>
  uploadTemplateModel(who: Principal, body: TemplateModelBody): Promise<ModelView>
  getModel(who: Principal, id: string): Promise<ModelView>
  listModels(who: Principal): Promise<ModelView[]>
  jobOutputs(who: Principal, id: string): Promise<{ json: object; csv: string }>
  getDataset(who: Principal, id: string): Promise<DatasetView>
  listDatasets(who: Principal): Promise<DatasetView[]>
  createJob(who: Principal, body: CreateJobBody): Promise<{ id: string }>
  /** Cost and duration on the fleet online now, without submitting. */
  estimateJob(who: Principal, body: CreateJobBody): Promise<JobEstimate>
  getJob(who: Principal, id: string): Promise<JobView>
  listJobs(who: Principal): Promise<JobView[]>
  cancelJob(who: Principal, id: string): Promise<JobView>
  predict(who: Principal, id: string, body: { csv?: string; zip?: Uint8Array }): Promise<PredictResponse>
  modelArtifacts(who: Principal, id: string): Promise<{ modelJson: object; weightsBin: ArrayBuffer }>
  network(): Promise<NetworkView>
  /** Top devices by verified credit; `deviceId` adds that device's own standing. */
  leaderboard(deviceId?: string): Promise<LeaderboardView>
  /** Readiness: the database answers and the coordinator is not draining (server/health.ts). */
  health(): Promise<HealthView>
  /** Accounts: sign-in with Ethereum, sessions and API keys. */
  accounts: AccountsApi
  /** Rewards on chain: chain info, an address's rewards, settlement, wallet linking. */
  rewards: RewardsApi
  /** SIGTERM: stop leasing, accept in-flight results for up to `graceMs`, then stop. */
  drain(graceMs: number): Promise<{ leftLeased: number }>
  /** Resolves once every commit made before the call is on disk (server/store/durability.ts). */
  durable(): Promise<void>
  /** The store, for tools running in the same process (bench/load-server.ts seeds its tasks through it). */
  store: Store
  close(): Promise<void>
}

export async function startCoordinator(config: Config, http: HttpServer, log: Logger): Promise<Coordinator> {
  // The coordinator evaluates every round and serves predictions: wasm is ~20x the pure-JS cpu backend.
  try {
    await import('@tensorflow/tfjs-backend-wasm')
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend refused')
  } catch (e) {
    log.warn({ err: e }, 'tfjs wasm backend unavailable on the coordinator; using cpu')
    await tf.setBackend('cpu')
  }
  const db = await openStore(config.dataDir, config.DATABASE_URL, { poolSize: config.NIMBLE_DB_POOL, sync: config.NIMBLE_DB_SYNC })
  // Under group commit a blob is flushed in the background, and each database flush waits for
  // the blobs stored before it: no row that names a blob reaches the disk before the blob does.
  const blobs = new BlobStore(config.blobDir, config.NIMBLE_DB_SYNC === 'group')
  const dbFlush = storeFlush(db, { mode: config.NIMBLE_DB_SYNC, postgres: isPostgres(db), sqliteFile: sqliteFile(config.dataDir) })
  const durability = new Durability(
    dbFlush &&
      (async () => {
        await blobs.synced()
        await dbFlush()
      }),
  )
  durability.every(config.NIMBLE_DB_FLUSH_MS, (e) => log.error({ err: e }, 'flushing the database failed'))
  const bus = new Bus()
  bus.onError((e) => log.error({ err: e }, 'service error'))
  const now = () => Date.now()
  // Advisory locks get a small pool of their own (see Cluster).
  const cluster = new Cluster(db, now, { nodeId: config.NIMBLE_NODE_ID, deadAfterMs: config.NIMBLE_NODE_TIMEOUT_MS, locks: isPostgres(db) ? postgres(config.DATABASE_URL!, 4) : undefined })
  await cluster.start()
  const ctx: Ctx = { db, blobs, bus, log, config, now, cluster, durable: () => durability.durable() }
  const ownerKey = loadOwnerKey(config.dataDir, config.NIMBLE_ADMIN_KEY)
  const secret = loadSecret(config.dataDir, config.NIMBLE_SECRET)

  const registry = new Registry()
  const tensors = new TensorCache(blobs)
  const dispatcher = new Dispatcher(ctx, registry)
  // Blob URLs carry a token for the lease, valid a little past its deadline (the route also checks the lease is held).
  dispatcher.signTask = (task) => signTaskBlobs(task, secret, task.deadline + 60_000)
  const leases = new Leases(ctx, registry)
  const validator = new Validator(ctx, registry)
  // A spare copy lost the race: free its device at once.
  validator.onCancelled = (instanceId, deviceId) => {
    if (registry.cancel([{ instanceId, deviceId }], 'another copy of this task finished first')) void dispatcher.dispatch()
  }
  const trainer = new PipelineTrainer(ctx, tensors)
  // Shards are planned for devices in good standing: one that just failed gets no shard sized for it.
  const planner = new Planner(
    ctx,
    tensors,
    () => registry.all().filter((d) => d.failures === 0).map((d) => ({ id: d.id, gflops: d.gflops, backend: d.profile.backend, memoryBudget: d.profile.memoryBudget })),
    trainer,
  )
  const assimilator = new Assimilator(ctx, tensors, trainer)

  const rewards = rewardsApi(ctx, await startChain(config, log))

  const recovered = await cluster.exclusive('leases:sweep', () => leases.recoverAfterRestart(), { wait: true })
  if (recovered) log.info({ recovered, node: cluster.nodeId }, `recovered ${recovered} lease(s) left by the previous process`)
  // What a dead process was in the middle of, picked up from the database: results stored but
  // not judged, rounds complete but not averaged, rounds averaged but the next not planned.
  const pickUp = async (why: string) => {
    const judged = await validator.resettleOrphans()
    if (judged) log.info({ judged }, `judged ${judged} stored result(s) left unjudged (${why})`)
    await assimilator.scan()
    await planner.scan()
  }
  await pickUp('previous process')

  const io = new IOServer(http, {
    maxHttpBufferSize: config.NIMBLE_MAX_MESSAGE_BYTES,
    pingInterval: 10_000,
    pingTimeout: 10_000,
    serveClient: false,
    parser: socketParser(config.NIMBLE_MAX_MESSAGE_BYTES),
  })
  const closeRedis = config.REDIS_URL ? await attachRedis(io, config.REDIS_URL, log) : null
  const devicesNsp = io.of(DEVICE_NAMESPACE) as unknown as import('socket.io').Namespace<DeviceClientToServer, DeviceServerToClient>
  const liveNsp = io.of(LIVE_NAMESPACE) as unknown as import('socket.io').Namespace<LiveClientToServer, LiveServerToClient>
  const deviceHandlers = attachDeviceNamespace(devicesNsp, { ctx, registry, dispatcher, leases, validator })
  const live = attachLiveNamespace(liveNsp, { ctx, registry, authenticate: (cred) => authenticate(ctx, ownerKey.key, cred) })
  assimilator.onPoint = (jobId, point) => liveNsp.to(`job:${jobId}`).emit('job:round', { jobId, point })

  // Devices on other coordinators may be idle too (a no-op without the Redis adapter).
  bus.on('tasks:ready', () => {
    if (closeRedis) io.serverSideEmit('nimble:tasks-ready')
  })
  io.on('nimble:tasks-ready', () => void dispatcher.dispatch())
  sources.devicesByBackend = () => {
    const by: Record<string, number> = {}
    for (const d of registry.all()) by[d.profile.backend] = (by[d.profile.backend] ?? 0) + 1
    return by
  }
  sources.tasksByState = async () => {
    const rows = await db.selectFrom('tasks').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute()
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]))
  }
  sources.dbUp = async () => (await db.selectFrom('nodes').select('id').limit(1).execute(), true)
  // Work an event starts (planning, averaging, picking up a dead node's work) runs in the
  // background; close() waits for it before the store goes. A shutdown had destroyed the store
  // under a round being planned, and the rejection took the process down (exit 7, not 0).
  const background = new Set<Promise<unknown>>()
  const inBackground = (what: string, work: Promise<unknown>) => {
    const p: Promise<unknown> = work.catch((e) => log.error({ err: e }, `${what} failed`)).finally(() => background.delete(p))
    background.add(p)
  }
  bus.on('job:created', (id) => inBackground(`planning job ${id}`, planner.ensureRound(id)))
  wireDispatcher(ctx, registry, dispatcher, leases, inBackground)
  bus.on('task:done', (jobId, round) => {
    live.pushJob(jobId)
    inBackground(`assimilating job ${jobId} round ${round}`, assimilator.tryRound(jobId, round))
  })
  bus.on('round:done', (jobId) => inBackground(`planning job ${jobId}`, planner.ensureRound(jobId)))
  bus.on('job:changed', (jobId) => {
    live.pushJob(jobId)
    live.pushNetwork()
  })
  bus.on('network:changed', () => live.pushNetwork())
  // Scale-out: another coordinator died. Its leases are freed by the sweep; its half-done work
  // (a round whose last result it accepted but never averaged, say) would otherwise wait forever.
  let pickingUp: Promise<unknown> = Promise.resolve()
  bus.on('nodes:lost', (nodes) => {
    // One pick-up at a time; a failed one does not stop the next.
    pickingUp = pickingUp.catch(() => {}).then(() => pickUp(`coordinator ${nodes.join(', ')} stopped`))
    inBackground('picking up a lost coordinator’s work', pickingUp)
  })
  leases.start()
  // Devices leave their post-failure cool-down without an event: look again every second.
  const tick = setInterval(() => {
    if (registry.idle().length) void dispatcher.dispatch()
  }, 1000)
  tick.unref()
  const started = Date.now()

  const own = (who: Principal, table: 'jobs' | 'datasets' | 'models', id: string) => assertOwned(ctx, who, table, id)
  const ownerFilter = (who: Principal) => (who.admin ? undefined : who.ownerId)
  let draining = false
  const refuseWhileDraining = () => {
    if (draining) throw new NimbleError({ code: 'shutting_down', message: 'the coordinator is shutting down; try again in a minute' })
  }

  return {
    config,
    ownerKey,
    blobs,
    authenticate: (cred) => authenticate(ctx, ownerKey.key, cred),
    async blobAllowed(hash, token, cred) {
      if (token) {
        const t = checkTaskToken(secret, token, ctx.now())
        if (!t) return false
        // The lease is still held, and its task names this blob (a token serves its own task's blobs only).
        const ins = await db
          .selectFrom('instances as i')
          .innerJoin('tasks as t', 't.id', 'i.task_id')
          .select(['i.state', 't.id', 't.payload_json'])
          .where('i.id', '=', t.instanceId)
          .executeTakeFirst()
        return ins?.state === 'leased' && blobRefs(taskPayload<object>(db, ins)).some((r) => r.hash === hash)
      }
      if (!cred.authorization) return false
      return (await authenticate(ctx, ownerKey.key, { authorization: cred.authorization }).catch(() => null))?.admin === true
    },
    async createDataset(who, csv, name) {
      const view = await createDataset(ctx, csv, name)
      await setOwner(ctx, 'datasets', view.id, who)
      return view
    },
    async createImageDataset(who, zip, name) {
      const view = await createImageDataset(ctx, zip, name)
      await setOwner(ctx, 'datasets', view.id, who)
      return view
    },
    async uploadModel(who, body) {
      const view = await uploadModel(ctx, body)
      await setOwner(ctx, 'models', view.id, who)
      return view
    },
    async uploadTemplateModel(who, body) {
      const view = await uploadTemplateModel(ctx, body)
      await setOwner(ctx, 'models', view.id, who)
      return view
    },
    getModel: async (who, id) => {
      await own(who, 'models', id)
      return modelView(await getModelRow(ctx, id))
    },
    listModels: (who) => listModels(ctx, ownerFilter(who)),
    jobOutputs: async (who, id) => {
      await own(who, 'jobs', id)
      return jobOutputs(ctx, id)
    },
    getDataset: async (who, id) => {
      await own(who, 'datasets', id)
      return datasetView(await getDatasetRow(db, id))
    },
    listDatasets: (who) => listDatasets(db, ownerFilter(who)),
    createJob: async (who, body) => {
      refuseWhileDraining()
      await assertJobRefsOwned(ctx, who, body)
      await assertJobQuota(ctx, who)
      // The estimate the owner saw, kept to compare with what the job really costs.
      const estimate = await estimateJob(ctx, registry, body).catch(() => null)
      const created = await createJob(ctx, body, registry)
      await db.updateTable('jobs').set({ owner_id: who.ownerId, ...(estimate ? { estimate_json: JSON.stringify(estimate) } : {}) }).where('id', '=', created.id).execute()
      // Only now is the owner known: their open jobs lists hear of the new job.
      live.pushJob(created.id)
      return created
    },
    estimateJob: async (who, body) => {
      await assertJobRefsOwned(ctx, who, body)
      return estimateJob(ctx, registry, body)
    },
    getJob: async (who, id) => {
      await own(who, 'jobs', id)
      return jobView(ctx, id)
    },
    listJobs: (who) => listJobs(ctx, ownerFilter(who)),
    async cancelJob(who, id) {
      await own(who, 'jobs', id)
      const { leases: held } = await cancelJob(ctx, id)
      registry.cancel(held, 'job cancelled')
      void dispatcher.dispatch()
      return jobView(ctx, id)
    },
    predict: async (who, id, body) => {
      await own(who, 'jobs', id)
      return predict(ctx, id, body)
    },
    modelArtifacts: async (who, id) => {
      await own(who, 'jobs', id)
      return modelArtifacts(ctx, id)
    },
    network: () => networkView(ctx, registry),
    leaderboard: (deviceId) => leaderboard(ctx, deviceId),
    health: () => checkHealth({ db, devices: registry.size, startedAt: started, node: cluster.nodeId, redis: !!closeRedis, draining }),
    accounts: accountsApi(ctx),
    async drain(graceMs) {
      draining = true
      dispatcher.paused = true
      // Leases still held: their results are accepted until they arrive or the grace period ends.
      const leased = async () => Number((await db.selectFrom('instances').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'leased').executeTakeFirst())?.n ?? 0)
      log.info({ graceMs, leased: await leased() }, `coordinator state:running=>draining grace_ms:${graceMs}`)
      const end = Date.now() + graceMs
      while (Date.now() < end && (await leased()) > 0) await new Promise((r) => setTimeout(r, 100))
      // Whatever is still out goes back to ready: the next start hands it out again.
      const left = await leased()
      if (left) await leases.recoverAfterRestart()
      return { leftLeased: left }
    },
    rewards,
    durable: () => durability.durable(),
    store: db,
    async close() {
      await rewards.close().catch((e) => log.warn({ err: e }, 'stopping the chain failed'))
      leases.stop()
      clearInterval(tick)
      await new Promise<void>((resolve) => io.close(() => resolve()))
      // Closing disconnected every device; each writes its session and frees its leases.
      await deviceHandlers.settled()
      // Finishing work may start more (a round averaged is then planned): wait until none is left.
      while (background.size) await Promise.allSettled([...background])
      await closeRedis?.()
      await cluster.stop()
      await durability.stop()
      await db.destroy()
    },
  }
}
