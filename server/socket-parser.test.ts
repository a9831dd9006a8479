/**
 * The devices' packet codec (server/socket-parser.ts): a full task:results (MAX_SLOTS
 * attachments) decodes; more attachments, or more attachment bytes than the limit, throw (and
 * Socket.IO then closes the connection: server/device-batch.test.ts shows it over a socket).
 */
import { describe, expect, it } from 'vitest'
import { MAX_SLOTS } from '../lib/protocol'
import { socketParser } from './socket-parser'

const { Encoder, Decoder } = socketParser(1000)
/** The frames of a task:results packet with these attachments: its text part, then one frame per attachment. */
const frames = (attachments: Uint8Array[]) => new Encoder().encode({ type: 2, nsp: '/devices', data: ['task:results', [], attachments] }) as (string | Uint8Array)[]
function decode(fs: (string | Uint8Array)[]): unknown[] {
  const d = new Decoder()
  const out: unknown[] = []
  d.on('decoded', (p) => void out.push(p.data))
  for (const f of fs) d.add(f)
  return out
}

describe('the devices’ packet codec', () => {
  it(`decodes a packet of ${MAX_SLOTS} attachments within the byte limit`, () => {
    const [data] = decode(frames(Array.from({ length: MAX_SLOTS }, (_, k) => Uint8Array.of(k, k, k)))) as [string, unknown, Uint8Array[]][]
    expect(data[0]).toBe('task:results')
    expect(data[2]).toHaveLength(MAX_SLOTS)
    expect([...new Uint8Array(data[2][5])]).toEqual([5, 5, 5])
  })

  it('refuses a packet of more attachments than a full task:results', () => {
    expect(() => decode(frames(Array.from({ length: MAX_SLOTS + 1 }, () => Uint8Array.of(1))))).toThrow(/too many attachments/)
  })

  it('refuses a packet whose attachments together exceed the limit, though each is under it', () => {
    const d = new Decoder()
    const [text, ...bufs] = frames([new Uint8Array(600), new Uint8Array(600)])
    d.add(text)
    d.add(bufs[0])
    expect(() => d.add(bufs[1])).toThrow(/exceed 1000 bytes \(NIMBLE_MAX_MESSAGE_BYTES\)/)
    // Each packet counts its own: one of 600 bytes, then another, both decode.
    expect(decode([...frames([new Uint8Array(600)]), ...frames([new Uint8Array(600)])])).toHaveLength(2)
  })
})
