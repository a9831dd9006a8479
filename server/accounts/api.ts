/** The accounts operations the REST routes call: sign-in nonces and sessions, who am I, API keys. */
import type { ApiKeyView, CreatedApiKey, SignInBody, WhoAmI } from '../../lib/protocol'
import { issueNonce } from '../chain/link'
import type { Ctx } from '../context'
import { createApiKey, listApiKeys, revokeApiKey } from './keys'
import type { Principal } from './principal'
import { signIn, signOut } from './sessions'

export type AccountsApi = {
  nonce(): Promise<{ nonce: string }>
  signIn(body: SignInBody, host: string): Promise<{ token: string; ownerId: string; address: string; maxAgeSec: number }>
  signOut(token: string): Promise<void>
  whoami(who: Principal): Promise<WhoAmI>
  createKey(who: Principal, name: string): Promise<CreatedApiKey>
  listKeys(who: Principal): Promise<ApiKeyView[]>
  revokeKey(who: Principal, id: string): Promise<ApiKeyView>
}

export function accountsApi(ctx: Ctx): AccountsApi {
  return {
    nonce: () => issueNonce(ctx),
    signIn: (body, host) => signIn(ctx, body, host),
    signOut: (token) => signOut(ctx, token),
    async whoami(who) {
      const row = await ctx.db.selectFrom('owners').select('address').where('id', '=', who.ownerId).executeTakeFirst()
      return { ownerId: who.ownerId, address: row?.address ?? null, admin: who.admin, via: who.via }
    },
    createKey: (who, name) => createApiKey(ctx, who, name),
    listKeys: (who) => listApiKeys(ctx, who),
    revokeKey: (who, id) => revokeApiKey(ctx, who, id),
  }
}
