import { defineConfig } from 'vitest/config';

// Tiers by file name: *.test.ts are pure, *.int.test.ts talk to the real stack,
// *.e2e.test.ts drive the whole pipeline through HTTP.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['{packages,services}/*/{src,test}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/*.e2e.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'int',
          sequence: { groupOrder: 1 },
          include: ['{packages,services}/*/{src,test}/**/*.{int,e2e}.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Two cores: the JVMs and ClickHouse need one, so integration files run two at a time.
          maxWorkers: 2,
        },
      },
    ],
  },
});
