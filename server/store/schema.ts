/** The database is the truth: every service reads and writes these tables and nothing else. Times are epoch ms. */
import type { Generated, Insertable, Selectable } from 'kysely'

export type TaskState = 'ready' | 'leased' | 'done' | 'cancelled'
export type InstanceState = 'leased' | 'pending' | 'valid' | 'invalid' | 'expired' | 'abandoned' | 'failed' | 'cancelled'

export interface DatasetTable {
  id: string
  name: string
  rows: number
  bytes: number
  columns_json: string
  preview_json: string
  blob_hash: string
  created_at: number
  kind: Generated<string>
  image_json: string | null
  pack_hash: string | null
  owner_id: Generated<string>
}

export interface ModelTable {
  id: string
  name: string
  topology_json: string
  weights_hash: string | null
  /** What inspection found: input shape, output units, params, layers, weight shapes. */
  info_json: string
  created_at: number
  owner_id: Generated<string>
}

export interface JobTable {
  id: string
  name: string
  type: string
  status: string
  dataset_id: string
  /** The owner's request, as accepted. */
  request_json: string
  /** Set by the planner: preprocessing, model spec, hyper-parameters, data blobs. Null while queued. */
  plan_json: string | null
  /** Rounds completed; the next round to run. */
  round: number
  total_rounds: number
  weights_hash: string | null
  metrics_json: string | null
  test_json: string | null
  error: string | null
  created_at: number
  updated_at: number
  /** DiLoCo's outer momentum buffer (tensor pack blob). */
  outer_hash: string | null
  /** Early stopping: {round, valLoss, weightsHash, stale} of the best round so far. */
  best_json: string | null
  /** The latest round's full validation report (EvalReport). */
  validation_json: string | null
  /** Inference jobs: the stitched outputs (tensor pack with y). */
  outputs_hash: string | null
  /** Higher is served first when the fleet is short. */
  priority: Generated<number>
  /** Tokens the owner allows the job to cost; null: no limit. */
  budget: number | null
  /** Epoch ms by which the owner wants the job done; null: none. */
  deadline: number | null
  /** The cost/duration estimate made at submission, to compare with what happened. */
  estimate_json: string | null
  owner_id: Generated<string>
}

export interface RoundTable {
  job_id: string
  /** The round whose results produced these weights (0-based). */
  round: number
  weights_hash: string
  metrics_json: string
  devices: number
  created_at: number
}

export interface TaskTable {
  id: Generated<number>
  job_id: string
  round: number
  shard: number
  /** Rows in the shard: the coordinator's own count, used to weight the average. */
  rows: number
  state: TaskState
  /** Everything but the lease: model, hyper-parameters, blob refs. */
  payload_json: string
  flops: number
  attempts: number
  result_hash: string | null
  created_at: number
  updated_at: number
  /** Agreeing copies needed (0: undecided). */
  replicas: Generated<number>
  /** How the accepted result was verified. */
  verdict: string | null
  /** Spare copies leased for it (a straggler's): only then can an accepted result leave other copies to cancel. */
  spares: Generated<number>
}

export interface InstanceTable {
  id: Generated<number>
  task_id: number
  job_id: string
  device_id: string
  state: InstanceState
  leased_at: number
  deadline: number
  finished_at: number | null
  elapsed_ms: number | null
  reported_loss: number | null
  error: string | null
  result_bytes: number | null
  expected_ms: number | null
  price_per_s: number | null
  cost: number | null
  explain_json: string | null
  spare: Generated<number>
  /** The returned result's blob (set while pending and after). */
  result_hash: Generated<string | null>
  /** The coordinator holding the device's socket (several coordinators); null on old rows. */
  node_id: string | null
}

export interface DeviceTable {
  id: string
  name: string
  kind: string
  backend: string
  gflops: number
  profile_json: string
  first_seen: number
  last_seen: number
  tasks_valid: Generated<number>
  tasks_invalid: Generated<number>
  tasks_expired: Generated<number>
  address: string | null
  sessions: Generated<number>
  session_ms: Generated<number>
  rtt_ms: number | null
  bandwidth: number | null
  trust_streak: Generated<number>
  trust_expired: Generated<number>
  banned_at: Generated<number | null>
  ban_reason: Generated<string | null>
  network: Generated<string | null>
  /** The coordinator the device is connected to now; null when offline. */
  node_id: string | null
}

export interface BanTable {
  subject: string
  reason: string
  created_at: number
}

export interface NodeTable {
  id: string
  started_at: number
  heartbeat_at: number
}

export interface CreditTable {
  instance_id: number
  task_id: number
  job_id: string
  device_id: string
  flops: number
  created_at: number
}

export type RewardEpochState = 'pending' | 'sent' | 'confirmed' | 'conflict' | 'abandoned'

export interface RewardEpochTable {
  distributor: string
  epoch: number
  root: string
  tree_json: string
  /** Σ cumulative amounts in the tree, base units as a decimal string. */
  total: string
  addresses: number
  state: RewardEpochState
  tx_hash: string | null
  created_at: number
  updated_at: number
}

export interface SiweNonceTable {
  nonce: string
  created_at: number
  used_at: number | null
}

export interface OwnerTable {
  id: string
  /** Lower-case Ethereum address; null for the operator ('admin'). */
  address: string | null
  created_at: number
}

export interface ApiKeyTable {
  id: string
  owner_id: string
  name: string
  prefix: string
  /** sha256 hex of the key; the key itself is shown once and never stored. */
  hash: string
  created_at: number
  last_used_at: number | null
  revoked_at: number | null
}

export interface OwnerSessionTable {
  hash: string
  owner_id: string
  created_at: number
  expires_at: number
}

export interface Database {
  owners: OwnerTable
  api_keys: ApiKeyTable
  owner_sessions: OwnerSessionTable
  datasets: DatasetTable
  jobs: JobTable
  rounds: RoundTable
  tasks: TaskTable
  instances: InstanceTable
  devices: DeviceTable
  models: ModelTable
  credits: CreditTable
  reward_epochs: RewardEpochTable
  siwe_nonces: SiweNonceTable
  bans: BanTable
  nodes: NodeTable
}

export type JobRow = Selectable<JobTable>
export type TaskRow = Selectable<TaskTable>
export type InstanceRow = Selectable<InstanceTable>
export type DeviceRow = Selectable<DeviceTable>
export type DatasetRow = Selectable<DatasetTable>
export type RoundRow = Selectable<RoundTable>
export type ModelRow = Selectable<ModelTable>
export type NewTask = Insertable<TaskTable>
