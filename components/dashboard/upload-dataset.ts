/** POST /api/datasets: a CSV as text, or a zip of images (class folders or idx files) as bytes. */
import { DatasetView } from '@/lib/protocol'
import { api } from '../api-client'
import { postBytes } from './post-bytes'

/** Header values must be Latin-1; anything else is percent-encoded (the route decodes it). */
function filenameHeader(name: string): string {
  return /^[\x20-\x7e]*$/.test(name) ? name : encodeURIComponent(name)
}

export function parseDataset(data: unknown): DatasetView {
  const inner = data && typeof data === 'object' && 'dataset' in data ? (data as { dataset: unknown }).dataset : data
  return DatasetView.parse(inner)
}

export function isZip(file: File): boolean {
  return /\.zip$/i.test(file.name) || /zip/i.test(file.type)
}

/** Upload a picked file as a dataset: `.zip` → images, anything else → CSV. */
export async function uploadDataset(file: File): Promise<DatasetView> {
  const headers = { 'X-Filename': filenameHeader(file.name) }
  if (isZip(file)) return postBytes('/api/datasets', file, { contentType: 'application/zip', headers, parse: parseDataset })
  return api('/api/datasets', { method: 'POST', body: await file.text(), contentType: 'text/csv', headers, parse: parseDataset })
}
