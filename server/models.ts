/**
 * Owners' own models (tfjs Layers format). A topology is built with tfjs to check that every
 * layer is one Nimble can run and that it fits the size limit; optional initial weights must
 * match the topology exactly. Stored as JSON plus a tensor-pack blob of the weights.
 */
import crypto from 'node:crypto'
import { buildModel, initialWeights, inspectTopology } from '../lib/compute'
import { ModelSpec, NimbleError, packTensors, type ModelView, type NamedTensor, type TemplateModelBody, type UploadModelBody } from '../lib/protocol'
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
  const row: Omit<ModelRow, 'owner_id'> = {
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

export function modelView(row: Omit<ModelRow, 'owner_id'>): ModelView {
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

export async function listModels(ctx: Ctx, ownerId?: string): Promise<ModelView[]> {
  let q = ctx.db.selectFrom('models').selectAll()
  if (ownerId !== undefined) q = q.where('owner_id', '=', ownerId)
  return (await q.orderBy('created_at', 'desc').limit(100).execute()).map(modelView)
}

/** The JSON form for templates: the template's topology and seeded initial weights, stored as an upload would be. */
export async function uploadTemplateModel(ctx: Ctx, body: TemplateModelBody): Promise<ModelView> {
  const inputSize = body.inputShape.reduce((a, b) => a * b, 1)
  const spec = ModelSpec.parse({
    template: body.template,
    task: body.template === 'linear' || body.outputSize === 1 ? 'regression' : 'classification',
    inputShape: body.inputShape,
    inputSize,
    outputSize: body.outputSize,
    hidden: body.hidden ?? (body.template === 'mlp' ? [16] : body.template === 'cnn' ? [64] : []),
    activation: body.activation ?? 'relu',
    dropout: body.dropout ?? 0,
    filters: body.template === 'cnn' ? (body.filters ?? [16, 32]) : [],
  })
  if (spec.template === 'cnn' && spec.inputShape.length < 2) throw new NimbleError({ code: 'invalid_model', field: 'inputShape', message: 'a cnn takes an image input shape [height, width, channels]' })
  const params = (body.hidden ?? []).reduce((a, h, i, hs) => a + (i === 0 ? inputSize : hs[i - 1]) * h, 0)
  if (params > ctx.config.NIMBLE_MAX_MODEL_PARAMS) {
    throw new NimbleError({ code: 'invalid_model', field: 'hidden', message: `the model has over ${params} parameters, past the limit of ${ctx.config.NIMBLE_MAX_MODEL_PARAMS} (NIMBLE_MAX_MODEL_PARAMS)` })
  }
  const seed = body.seed ?? 42
  const model = buildModel(spec, seed)
  const modelTopology = model.toJSON(null, false) as Record<string, unknown>
  model.dispose()
  const weights = initialWeights(spec, seed)
  const bytes = Buffer.concat(weights.map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength)))
  return uploadModel(ctx, {
    name: body.name ?? `${body.template} ${JSON.stringify(body.inputShape)} → ${body.outputSize}`,
    modelTopology,
    weightsManifest: [{ paths: ['model.weights.bin'], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
    weightData: bytes.toString('base64'),
  })
}
