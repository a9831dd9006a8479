/**
 * Socket.IO's packet codec, with room for a device's results. socket.io-parser refuses a packet
 * of more than 10 binary attachments, and closes the connection it came on; a `task:results`
 * carries one attachment per result, and a device may hold up to MAX_SLOTS tasks (a worker
 * started with `--slots 16` was disconnected at its first full message). The cap stays: a packet
 * of more attachments than any message needs is still refused.
 */
import { createRequire } from 'node:module'
import type * as Parser from 'socket.io-parser'
import { MAX_SLOTS } from '../lib/protocol'

// The CommonJS build, the one socket.io itself loads (an ESM import resolves to a second copy, its debug build).
const parser = createRequire(import.meta.url)('socket.io-parser') as typeof Parser

/** Most binary attachments one packet may carry: a full `task:results`. */
export const MAX_ATTACHMENTS = MAX_SLOTS

class Decoder extends parser.Decoder {
  constructor() {
    super({ maxAttachments: MAX_ATTACHMENTS })
  }
}

/** The `parser` option of a Socket.IO server whose devices return results. */
export const socketParser = { Encoder: parser.Encoder, Decoder, protocol: parser.protocol }
