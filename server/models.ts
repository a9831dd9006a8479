/**
 * Owners' own models (tfjs Layers format). A topology is built with tfjs to check that every
 * layer is one Nimble can run and that it fits the size limit; optional initial weights must
 * match the topology exactly. Stored as JSON plus a tensor-pack blob of the weights.
 */
import crypto from 'node:crypto'
import { inspectTopology } from '../lib/compute'
import { NimbleError, packTensors, type ModelView, type NamedTensor, type UploadModelBody } from '../lib/protocol'
import type { Ctx } from './context'
import type { ModelRow } from './store/schema'

export type ModelInfo = ReturnType<typeof inspectTopology>

export async function uploadModel(ctx: Ctx, body: UploadModelBody): Promise<ModelView> {
  const info = inspectTopology(body.modelTopology, { maxParams: ctx.config.NIMBLE_MAX_MODEL_PARAMS })
  let weightsHash: string | null = null
  if (body.weightData !== undefined || body.weightsManifest !== undefined) {
    if (!body.weightData || !body.weightsManifest) {
      throw new NimbleError({ code: 'invalid_model', field: body.weightData ? 'weightsManifest' : 'weightData', message: 'initial weights need both weightsManifest and weightData (base64 of the .bin file)' })
    }
    const bytes = Buffer.from(body.weightData, 'base64')
    const specs = body.weightsManifest.flatMap((g) => g.weights)
    const byName = new Map<string, Float32Array>()
    let offset = 0
    for (const s of specs) {
      if (s.dtype !== 'float32') throw new NimbleError({ code: 'invalid_model', field: 'weightsManifest', message: `weight ${s.name} is ${s.dtype}; only float32 weights are supported` })
      const size = s.shape.reduce((a, b) => a * b, 1)
      if (offset + size * 4 > bytes.byteLength) throw new NimbleError({ code: 'invalid_model', field: 'weightData', message: `weightData ends before weight ${s.name} (needs ${offset + size * 4} bytes, has ${bytes.byteLength})` })
      const copy = new Float32Array(size)
      new Uint8Array(copy.buffer).set(bytes.subarray(offset, offset + size * 4))
      byName.set(s.name, copy)
      offset += size * 4
    }
    const tensors: NamedTensor[] = info.weightShapes.map((w) => {
      const data = byName.get(w.name)
      const size = w.shape.reduce((a, b) => a * b, 1)
      if (!data) throw new NimbleError({ code: 'invalid_model', field: 'weightsManifest', message: `the weights have no ${w.name} [${w.shape}] that the topology needs` })
      if (data.length !== size) throw new NimbleError({ code: 'invalid_model', field: 'weightsManifest', message: `weight ${w.name} has ${data.length} values; the topology needs [${w.shape}]` })
      for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) throw new NimbleError({ code: 'invalid_model', field: 'weightData', message: `weight ${w.name} holds a non-finite value` })
      return { name: w.name, shape: w.shape, data }
    })
    weightsHash = ctx.blobs.put(packTensors(tensors)).hash
  }
  const row: ModelRow = {
    id: `mdl_${crypto.randomBytes(9).toString('base64url')}`,
    name: body.name?.trim().slice(0, 200) || 'uploaded model',
    topology_json: JSON.stringify(body.modelTopology),
    weights_hash: weightsHash,
    info_json: JSON.stringify(info),
    created_at: ctx.now(),
  }
  await ctx.db.insertInto('models').values(row).execute()
  ctx.log.info({ model: row.id, params: info.params }, `model ${row.id} state:new=>stored params:${info.params}`)
  return modelView(row)
}

export async function getModelRow(ctx: Ctx, id: string): Promise<ModelRow> {
  const row = await ctx.db.selectFrom('models').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NimbleError({ code: 'not_found', field: 'model.modelId', message: `no model ${id}: upload one with POST /api/models` })
  return row
}

export function modelView(row: ModelRow): ModelView {
  const info = JSON.parse(row.info_json) as ModelInfo
  return {
    id: row.id,
    name: row.name,
    inputShape: info.inputShape,
    outputUnits: info.outputUnits,
    params: info.params,
    layers: info.layers,
    hasWeights: row.weights_hash !== null,
    createdAt: new Date(row.created_at).toISOString(),
  }
}

export async function listModels(ctx: Ctx): Promise<ModelView[]> {
  return (await ctx.db.selectFrom('models').selectAll().orderBy('created_at', 'desc').limit(100).execute()).map(modelView)
}
