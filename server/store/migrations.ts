/**
 * Schema migrations, applied in order on start. Never edit a shipped migration: add a new one.
 * Column types go through `real(db)` and `serial(db)` so one migration serves both databases:
 * SQLite's `real` is a double but PostgreSQL's is float4, and PostgreSQL has no AUTOINCREMENT.
 */
import { PostgresAdapter, sql, type ColumnDataType, type ColumnDefinitionBuilder, type Kysely, type Migration } from 'kysely'

const pg = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter
/** A double on both databases. */
export const real = (db: Kysely<any>): ColumnDataType => (pg(db) ? 'double precision' : 'real')
/** An auto-numbered integer primary key. */
export function serial(db: Kysely<any>): [ColumnDataType, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  return pg(db) ? ['serial', (c) => c.primaryKey()] : ['integer', (c) => c.primaryKey().autoIncrement()]
}

export const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>) {
      const REAL = real(db)
      await db.schema
        .createTable('datasets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('rows', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'integer', (c) => c.notNull())
        .addColumn('columns_json', 'text', (c) => c.notNull())
        .addColumn('preview_json', 'text', (c) => c.notNull())
        .addColumn('blob_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id'))
        .addColumn('request_json', 'text', (c) => c.notNull())
        .addColumn('plan_json', 'text')
        .addColumn('round', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('total_rounds', 'integer', (c) => c.notNull())
        .addColumn('weights_hash', 'text')
        .addColumn('metrics_json', 'text')
        .addColumn('test_json', 'text')
        .addColumn('error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('jobs_status').on('jobs').column('status').execute()
      await db.schema
        .createTable('rounds')
        .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id'))
        .addColumn('round', 'integer', (c) => c.notNull())
        .addColumn('weights_hash', 'text', (c) => c.notNull())
        .addColumn('metrics_json', 'text', (c) => c.notNull())
        .addColumn('devices', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('rounds_pk', ['job_id', 'round'])
        .execute()
      await db.schema
        .createTable('tasks')
        .addColumn('id', ...serial(db))
        .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id'))
        .addColumn('round', 'integer', (c) => c.notNull())
        .addColumn('shard', 'integer', (c) => c.notNull())
        .addColumn('rows', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('payload_json', 'text', (c) => c.notNull())
        .addColumn('flops', REAL, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('result_hash', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('tasks_job_round_shard', ['job_id', 'round', 'shard'])
        .execute()
      await db.schema.createIndex('tasks_state').on('tasks').columns(['state', 'id']).execute()
      await db.schema
        .createTable('instances')
        .addColumn('id', ...serial(db))
        .addColumn('task_id', 'integer', (c) => c.notNull().references('tasks.id'))
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('leased_at', 'bigint', (c) => c.notNull())
        .addColumn('deadline', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('elapsed_ms', REAL)
        .addColumn('reported_loss', REAL)
        .addColumn('error', 'text')
        .execute()
      await db.schema.createIndex('instances_state').on('instances').columns(['state', 'deadline']).execute()
      await db.schema.createIndex('instances_task').on('instances').column('task_id').execute()
      await db.schema.createIndex('instances_job').on('instances').column('job_id').execute()
      await db.schema
        .createTable('devices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('backend', 'text', (c) => c.notNull())
        .addColumn('gflops', REAL, (c) => c.notNull())
        .addColumn('profile_json', 'text', (c) => c.notNull())
        .addColumn('first_seen', 'bigint', (c) => c.notNull())
        .addColumn('last_seen', 'bigint', (c) => c.notNull())
        .addColumn('tasks_valid', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('tasks_invalid', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('tasks_expired', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
      void sql
    },
  },
  '0002_models_images_outer': {
    async up(db: Kysely<any>) {
      const REAL = real(db)
      await db.schema.alterTable('datasets').addColumn('kind', 'text', (c) => c.notNull().defaultTo('table')).execute()
      await db.schema.alterTable('datasets').addColumn('image_json', 'text').execute()
      /** Images: the decoded tensor pack (x scaled to 0..1, labels). */
      await db.schema.alterTable('datasets').addColumn('pack_hash', 'text').execute()
      await db.schema.alterTable('jobs').addColumn('outer_hash', 'text').execute()
      await db.schema.alterTable('jobs').addColumn('best_json', 'text').execute()
      await db.schema.alterTable('jobs').addColumn('validation_json', 'text').execute()
      await db.schema.alterTable('jobs').addColumn('outputs_hash', 'text').execute()
      await db.schema.alterTable('instances').addColumn('result_bytes', 'integer').execute()
      await db.schema
        .createTable('models')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('topology_json', 'text', (c) => c.notNull())
        .addColumn('weights_hash', 'text')
        .addColumn('info_json', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
    },
  },
  '0003_credit_address': {
    async up(db: Kysely<any>) {
      const REAL = real(db)
      /** The payout address a device declared (headless --address) or linked (Sign-In with Ethereum), lower case. */
      await db.schema.alterTable('devices').addColumn('address', 'text').execute()
      /**
       * Verified work, one row per accepted task instance (the primary key makes crediting
       * the same instance twice impossible). `flops` is the coordinator's own estimate of
       * the task, never a figure the device reported.
       */
      await db.schema
        .createTable('credits')
        .addColumn('instance_id', 'integer', (c) => c.primaryKey())
        .addColumn('task_id', 'integer', (c) => c.notNull())
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('flops', REAL, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('credits_device').on('credits').column('device_id').execute()
    },
  },
  '0006_scheduling': {
    async up(db: Kysely<any>) {
      const REAL = real(db)
      /** What the scheduler expected and why (explain_json), and what the owner pays (price at lease, cost on acceptance). */
      await db.schema.alterTable('instances').addColumn('expected_ms', REAL).execute()
      await db.schema.alterTable('instances').addColumn('price_per_s', REAL).execute()
      await db.schema.alterTable('instances').addColumn('cost', REAL).execute()
      await db.schema.alterTable('instances').addColumn('explain_json', 'text').execute()
      /** 1: a spare copy launched because the first copy ran well past its expected time. */
      await db.schema.alterTable('instances').addColumn('spare', 'integer', (c) => c.notNull().defaultTo(0)).execute()
      await db.schema.alterTable('jobs').addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0)).execute()
      await db.schema.alterTable('jobs').addColumn('budget', REAL).execute()
      await db.schema.alterTable('jobs').addColumn('deadline', 'bigint').execute()
      await db.schema.alterTable('jobs').addColumn('estimate_json', 'text').execute()
      await db.schema.alterTable('devices').addColumn('sessions', 'integer', (c) => c.notNull().defaultTo(0)).execute()
      await db.schema.alterTable('devices').addColumn('session_ms', 'bigint', (c) => c.notNull().defaultTo(0)).execute()
      await db.schema.alterTable('devices').addColumn('rtt_ms', REAL).execute()
      await db.schema.alterTable('devices').addColumn('bandwidth', REAL).execute()
    },
  },
  '0004_rewards': {
    async up(db: Kysely<any>) {
      const REAL = real(db)
      /**
       * One row per settlement epoch on one distributor. The row (with its whole tree) is written
       * BEFORE setRoot is sent (state pending), so a crash leaves an intent the next start
       * reconciles with the chain: sent => the tx hash is known; confirmed => the chain holds this root.
       */
      await db.schema
        .createTable('reward_epochs')
        .addColumn('distributor', 'text', (c) => c.notNull())
        .addColumn('epoch', 'integer', (c) => c.notNull())
        .addColumn('root', 'text', (c) => c.notNull())
        .addColumn('tree_json', 'text', (c) => c.notNull())
        .addColumn('total', 'text', (c) => c.notNull())
        .addColumn('addresses', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('tx_hash', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('reward_epochs_pk', ['distributor', 'epoch'])
        .execute()
      /** Sign-In with Ethereum nonces: each verifies one message, once, within its lifetime. */
      await db.schema
        .createTable('siwe_nonces')
        .addColumn('nonce', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute()
      await db.schema.createIndex('devices_address').on('devices').column('address').execute()
    },
  },
  '0008_accounts': {
    async up(db: Kysely<any>) {
      /** Job owners. 'admin' is the operator (the admin key); others sign in with Ethereum. */
      await db.schema
        .createTable('owners')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('address', 'text', (c) => c.unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.insertInto('owners').values({ id: 'admin', address: null, created_at: 0 }).execute()
      /** API keys: only the sha256 of the key is kept; `prefix` lets the owner tell keys apart. */
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('owner_id', 'text', (c) => c.notNull().references('owners.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute()
      /** Browser sessions after Sign-In with Ethereum: the cookie holds the token, the table its sha256. */
      await db.schema
        .createTable('owner_sessions')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('owner_id', 'text', (c) => c.notNull().references('owners.id'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute()
      // Everything made before accounts existed belongs to the operator.
      for (const t of ['jobs', 'datasets', 'models']) {
        await db.schema.alterTable(t).addColumn('owner_id', 'text', (c) => c.notNull().defaultTo('admin')).execute()
        await db.schema.createIndex(`${t}_owner`).on(t).column('owner_id').execute()
      }
    },
  },
  '0005_verification': {
    async up(db: Kysely<any>) {
      /** Trust (lib/verify/trust.ts): accepted results in a row, missed deadlines in a row, the ban. */
      await db.schema.alterTable('devices').addColumn('trust_streak', 'integer', (c) => c.notNull().defaultTo(0)).execute()
      await db.schema.alterTable('devices').addColumn('trust_expired', 'integer', (c) => c.notNull().defaultTo(0)).execute()
      await db.schema.alterTable('devices').addColumn('banned_at', 'bigint').execute()
      await db.schema.alterTable('devices').addColumn('ban_reason', 'text').execute()
      /** The /24 (or IPv6 /48) the device last connected from: replicas prefer other networks. */
      await db.schema.alterTable('devices').addColumn('network', 'text').execute()
      /** A returned result waiting for its quorum ('pending') keeps its blob here. */
      await db.schema.alterTable('instances').addColumn('result_hash', 'text').execute()
      /** Agreeing copies the task needs (0: not decided yet, 1: a trusted device's result stands alone). */
      await db.schema.alterTable('tasks').addColumn('replicas', 'integer', (c) => c.notNull().defaultTo(0)).execute()
      /** How the accepted result was verified: single, agreed, majority, spot-checked. */
      await db.schema.alterTable('tasks').addColumn('verdict', 'text').execute()
      /** Banned devices and wallets ('device:<id>' or 'wallet:<address>'): their hello is refused. */
      await db.schema
        .createTable('bans')
        .addColumn('subject', 'text', (c) => c.primaryKey())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('instances_task_state').on('instances').columns(['task_id', 'state']).execute()
    },
  },
  '0007_scale_out': {
    async up(db: Kysely<any>) {
      /** Coordinators sharing the database; a node whose heartbeat stops is dead and its leases are freed. */
      await db.schema
        .createTable('nodes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
        .execute()
      /** The coordinator holding the device's socket for this lease (null: written before several nodes existed). */
      await db.schema.alterTable('instances').addColumn('node_id', 'text').execute()
      await db.schema.createIndex('instances_node').on('instances').columns(['node_id', 'state']).execute()
      /** The coordinator a device is connected to now; null when offline. */
      await db.schema.alterTable('devices').addColumn('node_id', 'text').execute()
      /** The dispatcher reads each job's oldest ready tasks. */
      await db.schema.createIndex('tasks_state_job').on('tasks').columns(['state', 'job_id', 'id']).execute()
    },
  },
  '0008_fewer_indexes': {
    async up(db: Kysely<any>) {
      /** instances_task_state (task_id, state) serves every lookup by task: one index less to write per lease. */
      await db.schema.dropIndex('instances_task').execute()
    },
  },
  '0009_no_node_index': {
    async up(db: Kysely<any>) {
      /**
       * Every lookup by node also asks for one state (leased, or pending): instances_state
       * (state, deadline) finds those few rows. instances_node was one more index written on
       * every lease and every verdict (three b-tree writes a task under bench:load).
       */
      await db.schema.dropIndex('instances_node').execute()
    },
  },
  '0010_one_task_state_index': {
    async up(db: Kysely<any>) {
      /**
       * tasks_state_job (state, job_id, id) serves every lookup of tasks by state: the
       * dispatcher's per-job reads, the jobs with ready tasks, the counts by state and the
       * restart's sweep of leased tasks. tasks_state (state, id) was a second index rewritten on
       * every change of a task's state (twice a task under bench:load, plus its insert).
       */
      await db.schema.dropIndex('tasks_state').execute()
    },
  },
  '0011_task_spares': {
    async up(db: Kysely<any>) {
      /**
       * Spare copies leased for the task. Apart from a spare, a task has one leased copy at a
       * time, so a batch of lone results needs to cancel other copies only of tasks that had a
       * spare: on PostgreSQL that search for copies (an index probe per task through entries
       * the acceptance had just made dead) was an eighth of the database's time under bench:load.
       */
      await db.schema.alterTable('tasks').addColumn('spares', 'integer', (c) => c.notNull().defaultTo(0)).execute()
    },
  },
}
