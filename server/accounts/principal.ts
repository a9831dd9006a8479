/**
 * Who is calling: an owner id and how they proved it. The operator (admin key) is the owner
 * 'admin' with rights over everything; everyone else sees and controls only their own.
 */
import { NimbleError } from '../../lib/protocol'

export const ADMIN_OWNER = 'admin'

export type Principal = { ownerId: string; admin: boolean; via: 'admin' | 'key' | 'session'; keyId?: string }

export const ADMIN: Principal = { ownerId: ADMIN_OWNER, admin: true, via: 'admin' }

/** True when `who` may see or act on a thing owned by `ownerId`. */
export function owns(who: Principal, ownerId: string): boolean {
  return who.admin || who.ownerId === ownerId
}

/** Someone else's thing answers exactly like a missing one (404), so ids cannot be probed. */
export function assertOwns(who: Principal, ownerId: string | undefined, what: string, field?: string): void {
  if (ownerId === undefined || !owns(who, ownerId)) throw new NimbleError({ code: 'not_found', message: `no ${what}`, ...(field ? { field } : {}) })
}
