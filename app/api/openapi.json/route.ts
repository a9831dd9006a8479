import { openApiDocument } from '@/lib/protocol/openapi'
import { json, route } from '../_lib/http'

export const dynamic = 'force-dynamic'
export const GET = route({ auth: 'public' }, async () => json(openApiDocument()))
