import { z } from 'zod'
import { NimbleError, TemplateModelBody, UploadModelBody } from '@/lib/protocol'
import { contentType, json, readJson, route } from '../_lib/http'

export const dynamic = 'force-dynamic'

/**
 * Upload a tfjs Layers model. Either exactly what `model.save('http://host/api/models')`
 * sends (multipart: model.json with modelTopology + weightsManifest, and model.weights.bin),
 * or JSON {name?, modelTopology, weightsManifest?, weightData?: base64}, or the JSON form for
 * templates {template, inputShape, outputSize, hidden?, activation?, dropout?, filters?, seed?}.
 * -> 201 ModelView, or 422 invalid_model naming the problem.
 */
export const POST = route({ auth: 'owner' }, async ({ req, c, who }) => {
  const limit = c.config.NIMBLE_MAX_UPLOAD_BYTES
  if (contentType(req) === 'multipart/form-data') {
    const declared = Number(req.headers.get('content-length') ?? 'NaN')
    if (Number.isFinite(declared) && declared > limit) {
      throw new NimbleError({ code: 'payload_too_large', message: `the upload is larger than the limit of ${limit} bytes (NIMBLE_MAX_UPLOAD_BYTES)` })
    }
    let form: FormData
    try {
      form = await req.formData()
    } catch {
      throw new NimbleError({ code: 'invalid_model', message: 'the multipart body could not be read: send model.json and model.weights.bin as form parts (what model.save sends)' })
    }
    const modelJson = form.get('model.json')
    if (!(modelJson instanceof Blob)) throw new NimbleError({ code: 'invalid_model', field: 'model.json', message: 'the multipart upload has no model.json part' })
    let artifacts: { modelTopology?: unknown; weightsManifest?: unknown }
    try {
      artifacts = JSON.parse(await modelJson.text())
    } catch {
      throw new NimbleError({ code: 'invalid_model', field: 'model.json', message: 'model.json is not valid JSON' })
    }
    const bins: Blob[] = []
    for (const [key, value] of form.entries()) if (key !== 'model.json' && value instanceof Blob) bins.push(value)
    const weightData = bins.length ? Buffer.concat(await Promise.all(bins.map(async (b) => Buffer.from(await b.arrayBuffer())))).toString('base64') : undefined
    const body = UploadModelBody.parse({ name: req.headers.get('x-model-name') ?? undefined, modelTopology: artifacts.modelTopology, weightsManifest: artifacts.weightsManifest, weightData })
    return json(await c.uploadModel(who, body), 201)
  }
  const raw = await readJson(req, z.record(z.string(), z.unknown()), limit)
  return json('template' in raw ? await c.uploadTemplateModel(who, TemplateModelBody.parse(raw)) : await c.uploadModel(who, UploadModelBody.parse(raw)), 201)
})

export const GET = route({ auth: 'owner' }, async ({ c, who }) => ({ models: await c.listModels(who) }))
