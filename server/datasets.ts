/**
 * Datasets: a job owner's uploaded CSV, parsed and profiled once. The raw bytes are a
 * blob; the row count, inferred columns and a preview live in the `datasets` table.
 */
import crypto from 'node:crypto'
import type { Kysely } from 'kysely'
import { imageInfo, inferColumns, parseCsv, parseImageZip } from '../lib/data'
import { NimbleError, packTensors, type ColumnInfo, type DatasetView, type ImageInfo } from '../lib/protocol'
import type { BlobStore } from './blobs'
import type { Config } from './config'
import type { Database, DatasetRow } from './store/schema'
import type { Logger } from './log'

export type DatasetsDeps = { db: Kysely<Database>; blobs: BlobStore; config: Config; log: Logger }

export async function createDataset(deps: DatasetsDeps, csv: string, name: string): Promise<DatasetView> {
  const { header, rows } = parseCsv(csv, { maxRows: deps.config.NIMBLE_MAX_ROWS, maxColumns: deps.config.NIMBLE_MAX_COLUMNS })
  const columns = inferColumns(header, rows)
  const bytes = Buffer.byteLength(csv)
  const ref = deps.blobs.put(Buffer.from(csv, 'utf8'))
  const row = {
    id: `ds_${crypto.randomBytes(9).toString('base64url')}`,
    name: sanitizeName(name) || 'dataset.csv',
    rows: rows.length,
    bytes,
    columns_json: JSON.stringify(columns),
    preview_json: JSON.stringify(rows.slice(0, 10).map((r) => r.map((c) => c.slice(0, 200)))),
    blob_hash: ref.hash,
    created_at: Date.now(),
  }
  await deps.db.insertInto('datasets').values(row).execute()
  deps.log.info({ dataset: row.id, rows: row.rows, columns: columns.length, bytes }, `dataset ${row.id} state:new=>stored rows:${row.rows}`)
  return datasetView({ ...row, kind: 'table', image_json: null, pack_hash: null })
}

/** An image dataset: a zip of one folder per class, or of idx files (MNIST format). Decoded once, kept as a tensor pack. */
export async function createImageDataset(deps: DatasetsDeps, zip: Uint8Array, name: string): Promise<DatasetView> {
  const img = parseImageZip(zip, { maxImages: deps.config.NIMBLE_MAX_ROWS })
  const n = img.labels.length
  const pack = packTensors([
    { name: 'x', shape: [n, img.width * img.height * img.channels], data: img.x },
    { name: 'labels', shape: [n], data: Float32Array.from(img.labels) },
  ])
  const raw = deps.blobs.put(zip)
  const packRef = deps.blobs.put(pack)
  const info: ImageInfo = imageInfo(img)
  const row = {
    id: `ds_${crypto.randomBytes(9).toString('base64url')}`,
    name: sanitizeName(name) || 'images.zip',
    rows: n,
    bytes: zip.byteLength,
    columns_json: '[]',
    preview_json: '[]',
    blob_hash: raw.hash,
    created_at: Date.now(),
    kind: 'images',
    image_json: JSON.stringify(info),
    pack_hash: packRef.hash,
  }
  await deps.db.insertInto('datasets').values(row).execute()
  deps.log.info({ dataset: row.id, rows: n, classes: info.classes.length }, `dataset ${row.id} state:new=>stored rows:${n} kind:images`)
  return datasetView(row)
}

export async function getDatasetRow(db: Kysely<Database>, id: string): Promise<DatasetRow> {
  const row = await db.selectFrom('datasets').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NimbleError({ code: 'not_found', message: `no dataset ${id}: upload one with POST /api/datasets`, field: 'datasetId' })
  return row
}

export function datasetView(row: Omit<DatasetRow, 'owner_id'>): DatasetView {
  const columns = JSON.parse(row.columns_json) as ColumnInfo[]
  return {
    id: row.id,
    name: row.name,
    kind: row.kind === 'images' ? 'images' : 'table',
    image: row.image_json ? (JSON.parse(row.image_json) as ImageInfo) : null,
    rows: row.rows,
    bytes: row.bytes,
    columns,
    preview: JSON.parse(row.preview_json) as string[][],
    createdAt: new Date(row.created_at).toISOString(),
  }
}

export async function listDatasets(db: Kysely<Database>, ownerId?: string): Promise<DatasetView[]> {
  let q = db.selectFrom('datasets').selectAll()
  if (ownerId !== undefined) q = q.where('owner_id', '=', ownerId)
  const rows = await q.orderBy('created_at', 'desc').limit(100).execute()
  return rows.map(datasetView)
}

function sanitizeName(name: string): string {
  return name.replace(/[^\w .()-]/g, '_').slice(0, 120)
}
