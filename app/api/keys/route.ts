import { CreateApiKeyBody, CreatedApiKey } from '@/lib/protocol'
import { json, readJson, route } from '../_lib/http'

export const dynamic = 'force-dynamic'
/** Creates an API key for the caller; the key is in this answer only (it is stored hashed). */
export const POST = route({ auth: 'owner' }, async ({ req, c, who }) => {
  const body = await readJson(req, CreateApiKeyBody, 4096)
  return json(CreatedApiKey.parse(await c.accounts.createKey(who, body.name)), 201)
})
export const GET = route({ auth: 'owner' }, async ({ c, who }) => ({ keys: await c.accounts.listKeys(who) }))
