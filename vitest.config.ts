import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { alias: { '@': new URL('.', import.meta.url).pathname } },
  test: {
    include: ['lib/**/*.test.ts', 'server/**/*.test.ts', 'workers/**/*.test.ts', 'components/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration tests start real coordinators and workers; two cores, so keep files serial.
    fileParallelism: false,
    pool: 'forks',
  },
})
