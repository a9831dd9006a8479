/** Owner accounts: Sign-In with Ethereum, sessions, API keys. */
import { z } from 'zod'

export const SignInBody = z.object({
  /** An EIP-4361 message with a nonce from POST /api/auth/nonce, for this site's host. */
  message: z.string().min(1).max(4000),
  signature: z.string().regex(/^0x[0-9a-fA-F]+$/, 'must be a 0x-prefixed hex signature').max(2000),
})
export type SignInBody = z.infer<typeof SignInBody>

export const WhoAmI = z.object({
  ownerId: z.string(),
  address: z.string().nullable(),
  admin: z.boolean(),
  via: z.enum(['admin', 'key', 'session']),
})
export type WhoAmI = z.infer<typeof WhoAmI>

/** GET /api/auth/session: who this browser is, 200 even when nobody is signed in (no failed request to log). */
export const SessionView = z.discriminatedUnion('signedIn', [
  z.object({ signedIn: z.literal(true), me: WhoAmI }),
  z.object({ signedIn: z.literal(false), /** Why credentials that were sent did not count (an expired session, a revoked key). */ reason: z.string().optional() }),
])
export type SessionView = z.infer<typeof SessionView>

export const CreateApiKeyBody = z.object({ name: z.string().trim().min(1).max(80).default('API key') })
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBody>

export const ApiKeyView = z.object({
  id: z.string(),
  name: z.string(),
  /** The first characters of the key, to tell keys apart. */
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
})
export type ApiKeyView = z.infer<typeof ApiKeyView>

/** Returned once, at creation: the key itself is never stored or shown again. */
export const CreatedApiKey = ApiKeyView.extend({ key: z.string() })
export type CreatedApiKey = z.infer<typeof CreatedApiKey>

export const ApiKeyIdParam = z.string().regex(/^key_[A-Za-z0-9_-]{6,40}$/, 'not an API key id')
