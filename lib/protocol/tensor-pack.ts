/**
 * A small binary container for named float32 tensors: weights, data shards and
 * results all travel in it (never as JSON number arrays).
 *
 *   bytes 0..3   magic "NMB1"
 *   bytes 4..7   header length H (uint32, little endian)
 *   bytes 8..8+H UTF-8 JSON: { tensors: [{ name, shape, offset }] } (offset in bytes from data start)
 *   pad to a multiple of 4, then the float32 data, little endian.
 */
import { NimbleError } from './errors'

export type NamedTensor = { name: string; shape: number[]; data: Float32Array }

const MAGIC = 0x31424d4e // "NMB1" read as little-endian uint32
const MAX_HEADER = 1 << 20

export function packTensors(tensors: NamedTensor[]): ArrayBuffer {
  let offset = 0
  const entries = tensors.map((t) => {
    const size = t.shape.reduce((a, b) => a * b, 1)
    if (size !== t.data.length) {
      throw new NimbleError({ code: 'bad_request', message: `tensor ${t.name}: shape [${t.shape}] holds ${size} values but data has ${t.data.length}` })
    }
    const e = { name: t.name, shape: t.shape, offset }
    offset += t.data.length * 4
    return e
  })
  const header = new TextEncoder().encode(JSON.stringify({ tensors: entries }))
  const dataStart = align4(8 + header.length)
  const buf = new ArrayBuffer(dataStart + offset)
  const view = new DataView(buf)
  view.setUint32(0, MAGIC, true)
  view.setUint32(4, header.length, true)
  new Uint8Array(buf, 8, header.length).set(header)
  for (let i = 0; i < tensors.length; i++) {
    new Float32Array(buf, dataStart + entries[i].offset, tensors[i].data.length).set(tensors[i].data)
  }
  return buf
}

/** Parses a pack. Throws NimbleError('invalid_result') on anything malformed; never reads out of bounds. */
/** A tensor pack that cannot be read, and why. */
function bad(why: string): NimbleError {
  return new NimbleError({ code: 'invalid_result', message: `malformed tensor pack: ${why}` })
}

/** One decoder for every header: a coordinator unpacks thousands of results a second. */
const utf8 = new TextDecoder()

export function unpackTensors(input: ArrayBuffer | ArrayBufferView): NamedTensor[] {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
  if (bytes.byteLength < 8) throw bad('shorter than its 8-byte preamble')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint32(0, true) !== MAGIC) throw bad('wrong magic number')
  const headerLen = view.getUint32(4, true)
  if (headerLen > MAX_HEADER || 8 + headerLen > bytes.byteLength) throw bad('header length out of range')
  let header: unknown
  try {
    header = JSON.parse(utf8.decode(bytes.subarray(8, 8 + headerLen)))
  } catch {
    throw bad('header is not JSON')
  }
  const list = (header as { tensors?: unknown })?.tensors
  if (!Array.isArray(list)) throw bad('header has no tensor list')
  const dataStart = align4(8 + headerLen)
  const dataBytes = bytes.byteLength - dataStart
  // Copy into an aligned buffer: a Node Buffer slice may start at an odd offset.
  const data = new Uint8Array(Math.max(0, dataBytes))
  data.set(bytes.subarray(dataStart))
  const out: NamedTensor[] = []
  for (const raw of list) {
    const e = raw as { name?: unknown; shape?: unknown; offset?: unknown }
    if (typeof e.name !== 'string' || !Array.isArray(e.shape) || typeof e.offset !== 'number') throw bad('bad tensor entry')
    if (!e.shape.every((d) => Number.isInteger(d) && d >= 0 && d < 2 ** 31)) throw bad(`tensor ${e.name} has a bad shape`)
    const size = (e.shape as number[]).reduce((a, b) => a * b, 1)
    if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset % 4 !== 0 || e.offset + size * 4 > dataBytes) {
      throw bad(`tensor ${e.name} lies outside the data`)
    }
    out.push({ name: e.name, shape: e.shape as number[], data: new Float32Array(data.buffer, e.offset, size) })
  }
  return out
}

function align4(n: number): number {
  return (n + 3) & ~3
}
