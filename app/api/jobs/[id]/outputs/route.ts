import { route } from '../../../_lib/http'

export const dynamic = 'force-dynamic'

/** An inference job's outputs: {shape:[rows, width], data:[...]} in row order (probabilities, or values for regression). */
export const GET = route<{ id: string }>({ auth: 'owner' }, async ({ c, params, who }) => (await c.jobOutputs(who, params.id)).json)
