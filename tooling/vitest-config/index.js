// Shared vitest preset. Workspace packages resolve to their TypeScript sources through the
// "@eventfold/source" export condition, so tests never need a build step first.
import { defineConfig, mergeConfig } from 'vitest/config';

// Vite's default server conditions, with ours in front.
const sourceConditions = ['@eventfold/source', 'module', 'node', 'development|production'];

/**
 * @param {import('vitest/config').UserConfig} [overrides]
 */
export function eventfoldVitestConfig(overrides = {}) {
  const base = defineConfig({
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  });
  return mergeConfig(base, overrides);
}
