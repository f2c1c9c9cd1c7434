import { defineConfig } from 'vitest/config';

/** `npm run test:readme`: the README followed on a fresh clone (test/readme), apart from `npm test`. */
export default defineConfig({
  test: {
    include: ['test/readme/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 120_000,
  },
});
