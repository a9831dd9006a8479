/**
 * GET /api/probe: 1 MiB of incompressible bytes a device times to learn its download
 * bandwidth (placement only: the figure is the device's, so it never earns credit).
 */
import crypto from 'node:crypto'

export const dynamic = 'force-dynamic'

const PROBE = crypto.randomBytes(1 << 20)

export function GET(): Response {
  return new Response(PROBE, { headers: { 'content-type': 'application/octet-stream', 'cache-control': 'no-store', 'content-length': String(PROBE.byteLength) } })
}
