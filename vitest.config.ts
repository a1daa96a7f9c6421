import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Servers bound to 127.0.0.1 in several files at once would fight for two cores; keep files parallel but bounded.
    maxWorkers: 2,
    env: { METADATA_SERVER_DETECTION: 'none', GOOGLE_CLOUD_PROJECT: 'demo-project' },
  },
});
