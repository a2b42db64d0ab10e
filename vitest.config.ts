import { defineConfig } from 'vitest/config';

/** `npm test`: every test except the benchmark smoke runs (`npm run test:bench`, vitest.bench.config.ts). */
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**', 'bench/**/*smoke.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
