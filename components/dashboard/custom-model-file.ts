/** Reads a tfjs model.json (+ its .bin weight files) into an UploadModelBody. Browser only (File), no I/O beyond reading the picks. */
import type { UploadModelBody } from '@/lib/protocol'

export class ModelFileError extends Error {
  override name = 'ModelFileError'
}

export type ModelJson = Pick<UploadModelBody, 'modelTopology' | 'weightsManifest'>

export async function readModelJson(file: File): Promise<ModelJson> {
  let json: unknown
  try {
    json = JSON.parse(await file.text())
  } catch {
    throw new ModelFileError(`${file.name} is not JSON. Pick the model.json that tf.LayersModel.save() or tensorflowjs_converter wrote.`)
  }
  const o = json as { modelTopology?: unknown; weightsManifest?: unknown } | null
  if (!o || typeof o !== 'object' || !o.modelTopology || typeof o.modelTopology !== 'object' || Array.isArray(o.modelTopology)) {
    throw new ModelFileError(`${file.name} has no "modelTopology". Nimble takes TensorFlow.js Layers models (model.json with modelTopology).`)
  }
  return {
    modelTopology: o.modelTopology as Record<string, unknown>,
    weightsManifest: Array.isArray(o.weightsManifest) ? (o.weightsManifest as UploadModelBody['weightsManifest']) : undefined,
  }
}

function toBase64(bytes: Uint8Array): string {
  let s = ''
  // Chunks keep String.fromCharCode under the engine's argument limit.
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

const baseName = (p: string) => p.split('/').pop() ?? p

/** The weight files concatenated in the manifest's path order, base64. */
export async function readWeights(manifest: NonNullable<UploadModelBody['weightsManifest']>, files: File[]): Promise<string> {
  const paths = manifest.flatMap((g) => g.paths).map(baseName)
  let ordered: File[]
  if (paths.length === 1 && files.length === 1) ordered = files
  else {
    const byName = new Map(files.map((f) => [f.name, f]))
    const missing = paths.filter((p) => !byName.has(p))
    if (missing.length) throw new ModelFileError(`model.json lists weight files ${paths.join(', ')}; pick all of them (missing ${missing.join(', ')}).`)
    ordered = paths.map((p) => byName.get(p)!)
  }
  const buffers = await Promise.all(ordered.map((f) => f.arrayBuffer()))
  const total = buffers.reduce((a, b) => a + b.byteLength, 0)
  const all = new Uint8Array(total)
  let off = 0
  for (const b of buffers) {
    all.set(new Uint8Array(b), off)
    off += b.byteLength
  }
  return toBase64(all)
}

export async function modelBody(name: string, model: ModelJson, weightFiles: File[]): Promise<UploadModelBody> {
  const withWeights = weightFiles.length > 0 && model.weightsManifest && model.weightsManifest.length > 0
  if (weightFiles.length > 0 && !withWeights) throw new ModelFileError('model.json has no weightsManifest, so the weight files cannot be matched to layers.')
  return {
    name,
    modelTopology: model.modelTopology,
    ...(withWeights ? { weightsManifest: model.weightsManifest, weightData: await readWeights(model.weightsManifest!, weightFiles) } : {}),
  }
}
