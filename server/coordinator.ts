/**
 * Wires the services together around one store and one Socket.IO server, and exposes
 * the domain operations the REST routes call. Start-up order matters: recover leases
 * (no device is connected yet), then let the planner and assimilator catch up on
 * whatever the last process left half done, then accept devices.
 */
import type { Server as HttpServer } from 'node:http'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { Server as IOServer } from 'socket.io'
import {
  DEVICE_NAMESPACE,
  LIVE_NAMESPACE,
  type CreateJobBody,
  type DatasetView,
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
} from '../lib/protocol'
import { Assimilator } from './assimilator'
import { checkBearer, loadOwnerKey, type OwnerKey } from './auth'
import { BlobStore } from './blobs'
import { Bus } from './bus'
import type { Config } from './config'
import type { Ctx } from './context'
import { createDataset, createImageDataset, datasetView, getDatasetRow, listDatasets } from './datasets'
import { attachDeviceNamespace } from './device-socket'
import { Dispatcher } from './dispatcher'
import { cancelJob, createJob, jobView, listJobs } from './jobs'
import { estimateJob } from './estimate'
import { Leases } from './leases'
import { attachLiveNamespace } from './live-socket'
import type { Logger } from './log'
import { jobOutputs, modelArtifacts, predict } from './model-artifacts'
import { getModelRow, listModels, modelView, uploadModel, uploadTemplateModel } from './models'
import { leaderboard } from './leaderboard'
import { networkView } from './network'
import { Planner } from './planner'
import { PipelineTrainer } from './pipeline-train'
import { Registry } from './registry'
import { openStore } from './store/db'
import { TensorCache } from './tensor-cache'
import { Validator } from './validator'
import { rewardsApi, type RewardsApi } from './chain/rewards-api'
import { startChain } from './chain/service'

export type Coordinator = {
  config: Config
  ownerKey: OwnerKey
  blobs: BlobStore
  authorize(header: string | null): void
  createDataset(csv: string, name: string): Promise<DatasetView>
  createImageDataset(zip: Uint8Array, name: string): Promise<DatasetView>
  uploadModel(body: UploadModelBody): Promise<ModelView>
  uploadTemplateModel(body: TemplateModelBody): Promise<ModelView>
  getModel(id: string): Promise<ModelView>
  listModels(): Promise<ModelView[]>
  jobOutputs(id: string): Promise<{ json: object; csv: string }>
  getDataset(id: string): Promise<DatasetView>
  listDatasets(): Promise<DatasetView[]>
  createJob(body: CreateJobBody): Promise<{ id: string }>
  /** Cost and duration on the fleet online now, without submitting. */
  estimateJob(body: CreateJobBody): Promise<JobEstimate>
  getJob(id: string): Promise<JobView>
  listJobs(): Promise<JobView[]>
  cancelJob(id: string): Promise<JobView>
  predict(id: string, body: { csv?: string; zip?: Uint8Array }): Promise<PredictResponse>
  modelArtifacts(id: string): Promise<{ modelJson: object; weightsBin: ArrayBuffer }>
  network(): Promise<NetworkView>
  /** Top devices by verified credit; `deviceId` adds that device's own standing. */
  leaderboard(deviceId?: string): Promise<LeaderboardView>
  health(): Promise<{ ok: boolean; devices: number; uptimeSec: number; db: string }>
  /** Rewards on chain: chain info, an address's rewards, settlement, wallet linking. */
  rewards: RewardsApi
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
  const db = await openStore(config.dataDir)
  const blobs = new BlobStore(path.join(config.dataDir, 'blobs'))
  const bus = new Bus()
  bus.onError((e) => log.error({ err: e }, 'service error'))
  const ctx: Ctx = { db, blobs, bus, log, config, now: () => Date.now() }
  const ownerKey = loadOwnerKey(config.dataDir, config.NIMBLE_ADMIN_KEY)

  const registry = new Registry()
  const tensors = new TensorCache(blobs)
  const dispatcher = new Dispatcher(ctx, registry)
  const leases = new Leases(ctx, registry)
  const validator = new Validator(ctx, registry)
  // A spare copy lost the race: free its device at once.
  validator.onCancelled = (instanceId, deviceId) => {
    const s = registry.get(deviceId)
    if (s && s.busy === instanceId) {
      s.busy = null
      s.link.cancel(instanceId, 'another copy of this task finished first')
      void dispatcher.dispatch()
    }
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

  const recovered = await leases.recoverAfterRestart()
  if (recovered) log.info({ recovered }, `recovered ${recovered} lease(s) left by the previous process`)
  await assimilator.scan()
  await planner.scan()

  const io = new IOServer(http, {
    maxHttpBufferSize: config.NIMBLE_MAX_MESSAGE_BYTES,
    pingInterval: 10_000,
    pingTimeout: 10_000,
    serveClient: false,
  })
  const devicesNsp = io.of(DEVICE_NAMESPACE) as unknown as import('socket.io').Namespace<DeviceClientToServer, DeviceServerToClient>
  const liveNsp = io.of(LIVE_NAMESPACE) as unknown as import('socket.io').Namespace<LiveClientToServer, LiveServerToClient>
  attachDeviceNamespace(devicesNsp, { ctx, registry, dispatcher, leases, validator })
  const live = attachLiveNamespace(liveNsp, { ctx, registry, ownerKey: ownerKey.key })
  assimilator.onPoint = (jobId, point) => liveNsp.to(`job:${jobId}`).emit('job:round', { jobId, point })

  bus.on('tasks:ready', () => void dispatcher.dispatch())
  bus.on('job:created', (id) => void planner.ensureRound(id))
  bus.on('task:done', (jobId, round) => {
    live.pushJob(jobId)
    void assimilator.tryRound(jobId, round)
  })
  bus.on('round:done', (jobId) => void planner.ensureRound(jobId))
  bus.on('job:changed', (jobId) => {
    live.pushJob(jobId)
    live.pushNetwork()
  })
  bus.on('network:changed', () => live.pushNetwork())
  leases.start()
  // Devices leave their post-failure cool-down without an event: look again every second.
  const tick = setInterval(() => {
    if (registry.idle().length) void dispatcher.dispatch()
  }, 1000)
  tick.unref()
  const started = Date.now()

  return {
    config,
    ownerKey,
    blobs,
    authorize: (header) => checkBearer(header, ownerKey.key),
    createDataset: (csv, name) => createDataset(ctx, csv, name),
    createImageDataset: (zip, name) => createImageDataset(ctx, zip, name),
    uploadModel: (body) => uploadModel(ctx, body),
    uploadTemplateModel: (body) => uploadTemplateModel(ctx, body),
    getModel: async (id) => modelView(await getModelRow(ctx, id)),
    listModels: () => listModels(ctx),
    jobOutputs: (id) => jobOutputs(ctx, id),
    getDataset: async (id) => datasetView(await getDatasetRow(db, id)),
    listDatasets: () => listDatasets(db),
    createJob: async (body) => {
      // The estimate the owner saw, kept to compare with what the job really costs.
      const estimate = await estimateJob(ctx, registry, body).catch(() => null)
      const created = await createJob(ctx, body, registry)
      if (estimate) await db.updateTable('jobs').set({ estimate_json: JSON.stringify(estimate) }).where('id', '=', created.id).execute()
      return created
    },
    estimateJob: (body) => estimateJob(ctx, registry, body),
    getJob: (id) => jobView(ctx, id),
    listJobs: () => listJobs(ctx),
    async cancelJob(id) {
      const { leases: held } = await cancelJob(ctx, id)
      for (const l of held) {
        const s = registry.get(l.deviceId)
        if (s && s.busy === l.instanceId) {
          s.busy = null
          s.link.cancel(l.instanceId, 'job cancelled')
        }
      }
      void dispatcher.dispatch()
      return jobView(ctx, id)
    },
    predict: (id, body) => predict(ctx, id, body),
    modelArtifacts: (id) => modelArtifacts(ctx, id),
    network: () => networkView(ctx, registry),
    leaderboard: (deviceId) => leaderboard(ctx, deviceId),
    async health() {
      await db.selectFrom('jobs').select('id').limit(1).execute()
      return { ok: true, devices: registry.size, uptimeSec: Math.round((Date.now() - started) / 1000), db: 'sqlite' }
    },
    rewards,
    async close() {
      await rewards.close().catch((e) => log.warn({ err: e }, 'stopping the chain failed'))
      leases.stop()
      clearInterval(tick)
      await new Promise<void>((resolve) => io.close(() => resolve()))
      await db.destroy()
    },
  }
}
