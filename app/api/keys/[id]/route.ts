import { ApiKeyIdParam, ApiKeyView } from '@/lib/protocol'
import { route } from '../../_lib/http'

export const dynamic = 'force-dynamic'
/** Revokes a key: it is refused from its very next request. */
export const DELETE = route<{ id: string }>({ auth: 'owner' }, async ({ c, params, who }) => ApiKeyView.parse(await c.accounts.revokeKey(who, ApiKeyIdParam.parse(params.id))))
