import { UploadModelBody } from '@/lib/protocol'
import { json, readJson, route } from '../_lib/http'

export const dynamic = 'force-dynamic'

/** POST {modelTopology, weightsManifest?, weightData?: base64} -> 201 ModelView, or 422 invalid_model naming the problem. */
export const POST = route({ auth: 'owner' }, async ({ req, c }) => json(await c.uploadModel(await readJson(req, UploadModelBody, c.config.NIMBLE_MAX_UPLOAD_BYTES)), 201))

export const GET = route({ auth: 'owner' }, async ({ c }) => ({ models: await c.listModels() }))
