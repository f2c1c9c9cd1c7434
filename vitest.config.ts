import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The README on a fresh clone runs `npm test` itself: npm run test:readme, from .ci/run.
    exclude: ['test/readme/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests start real servers and `uni` subprocesses; two cores do not gain from more forks.
    maxWorkers: 2,
  },
});
