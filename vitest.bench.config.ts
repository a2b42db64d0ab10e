import { defineConfig } from 'vitest/config';

/** `npm run test:bench`: the benchmark harness smoke runs (about 30 s, real child processes), kept out of `npm test`. */
export default defineConfig({
  test: {
    include: ['bench/**/*smoke.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 20_000,
  },
});
