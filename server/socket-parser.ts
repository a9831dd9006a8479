/**
 * Socket.IO's packet codec, sized for a device's results. socket.io-parser refuses a packet of
 * more than 10 binary attachments, and closes the connection it came on; a `task:results`
 * carries one attachment per result, and a device may hold up to MAX_SLOTS tasks (a device
 * returning 16 results at once was disconnected at its first full message). It bounded each
 * attachment (maxHttpBufferSize is per websocket frame), not a packet: ten attachments of 64 MiB
 * each were buffered before any handler could refuse them. Here a packet's attachments together
 * may not exceed `maxBytes` (NIMBLE_MAX_MESSAGE_BYTES): the decoder throws, and Socket.IO closes
 * the connection, as it does for any frame over the limit.
 */
import { createRequire } from 'node:module'
import type * as Parser from 'socket.io-parser'
import { MAX_SLOTS } from '../lib/protocol'

// The CommonJS build, the one socket.io itself loads (an ESM import resolves to a second copy, its debug build).
const parser = createRequire(import.meta.url)('socket.io-parser') as typeof Parser

/** Most binary attachments one packet may carry: a full `task:results`. */
const MAX_ATTACHMENTS = MAX_SLOTS

/** The `parser` option of a Socket.IO server whose devices return results, with at most `maxBytes` of attachments a packet. */
export function socketParser(maxBytes: number) {
  class Decoder extends parser.Decoder {
    /** Attachment bytes of the packet being put together. */
    private bytes = 0

    constructor() {
      super({ maxAttachments: MAX_ATTACHMENTS })
    }

    override add(obj: unknown): void {
      // A packet starts with its text part; its attachments follow, one frame each.
      if (typeof obj === 'string') this.bytes = 0
      else {
        this.bytes += (obj as ArrayBufferLike | ArrayBufferView).byteLength ?? 0
        if (this.bytes > maxBytes) throw new Error(`a packet's binary attachments exceed ${maxBytes} bytes (NIMBLE_MAX_MESSAGE_BYTES)`)
      }
      super.add(obj)
    }
  }
  return { Encoder: parser.Encoder, Decoder }
}
