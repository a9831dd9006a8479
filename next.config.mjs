/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The coordinator's own modules (store, tfjs on the server) are loaded by server/index.ts,
  // not bundled into route handlers; handlers reach them through lib/../server/container.
  serverExternalPackages: ['better-sqlite3', '@tensorflow/tfjs', 'pino', 'socket.io'],
}
export default nextConfig
