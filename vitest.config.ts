import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    include: ['apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // The gateway's answers over real HTTP are checked against its OpenAPI document too.
    setupFiles: ['apps/gateway/test/openapi-fetch-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
})
