/**
 * Federated averaging (FedAvg): the new global weights are the mean of the devices'
 * weights, each weighted by how many examples it trained on. Pure: no tfjs, so the
 * coordinator can run it without a backend. Accumulates in float64 so the order of
 * the inputs barely matters and many small contributions are not rounded away.
 */
import { NimbleError, type NamedTensor } from '../protocol'

export type WeightedTensors = { tensors: NamedTensor[]; weight: number }

export function weightedAverage(items: WeightedTensors[]): NamedTensor[] {
  if (items.length === 0) throw invalid('nothing to average: no results were given')
  let total = 0
  for (const [i, item] of items.entries()) {
    if (!Number.isFinite(item.weight) || item.weight < 0) throw invalid(`result ${i} has weight ${item.weight}; weights must be finite and non-negative`)
    total += item.weight
  }
  if (total <= 0) throw invalid('the weights sum to zero; at least one result must have trained on some examples')

  const reference = items[0].tensors
  const names = new Set(reference.map((t) => t.name))
  if (names.size !== reference.length) throw invalid('result 0 holds a duplicate tensor name')

  const acc = reference.map((t) => {
    checkSize(t, 0)
    return new Float64Array(t.data.length)
  })
  for (const [i, item] of items.entries()) {
    if (item.tensors.length !== reference.length) {
      throw invalid(`result ${i} holds ${item.tensors.length} tensors, result 0 holds ${reference.length}`)
    }
    const byName = new Map(item.tensors.map((t) => [t.name, t]))
    const share = item.weight / total
    reference.forEach((ref, k) => {
      const t = byName.get(ref.name)
      if (!t) throw invalid(`result ${i} has no tensor ${ref.name}`, ref.name)
      if (t.shape.length !== ref.shape.length || t.shape.some((d, j) => d !== ref.shape[j])) {
        throw invalid(`tensor ${ref.name} has shape [${t.shape}] in result ${i} but [${ref.shape}] in result 0`, ref.name)
      }
      checkSize(t, i)
      if (share === 0) return
      const a = acc[k]
      const d = t.data
      for (let j = 0; j < a.length; j++) a[j] += share * d[j]
    })
  }
  return reference.map((ref, k) => ({ name: ref.name, shape: [...ref.shape], data: Float32Array.from(acc[k]) }))
}

function checkSize(t: NamedTensor, i: number): void {
  const size = t.shape.reduce((a, b) => a * b, 1)
  if (size !== t.data.length) throw invalid(`tensor ${t.name} in result ${i} holds ${t.data.length} values for shape [${t.shape}]`, t.name)
}

function invalid(message: string, field?: string): NimbleError {
  return new NimbleError({ code: 'invalid_result', message, field })
}
