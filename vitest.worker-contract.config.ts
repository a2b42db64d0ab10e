import { defineConfig } from 'vitest/config';

/** `npm run test:worker-contract`: the data-plane contract suite against the Worker under workerd (docs/edge.md). */
export default defineConfig({
  test: { include: ['test/worker-contract.check.ts'], testTimeout: 20_000, hookTimeout: 120_000 },
});
