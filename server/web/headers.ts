/**
 * Security headers for every response of the custom server, pages and API alike. The content
 * security policy keeps scripts to this origin (Next's inline bootstrap needs 'unsafe-inline'),
 * allows WebAssembly compilation ('wasm-unsafe-eval', for tfjs wasm) and blob:/self workers
 * (the compute worker), and lets the wallet UI reach the chain's JSON-RPC endpoint.
 */
export function contentSecurityPolicy(opts: { dev: boolean; connect: string[] }): string {
  const script = ["'self'", "'unsafe-inline'", "'wasm-unsafe-eval'", ...(opts.dev ? ["'unsafe-eval'"] : [])]
  return [
    "default-src 'self'",
    `script-src ${script.join(' ')}`,
    "worker-src 'self' blob:",
    `connect-src 'self' ${opts.connect.join(' ')}`.trim(),
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
}

export function securityHeaders(opts: { dev: boolean; connect: string[]; https: boolean }): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(opts),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    'cross-origin-opener-policy': 'same-origin',
    ...(opts.https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  }
}
