/**
 * Shared vitest settings for every workspace package: tests run against the
 * packages' `src/` through the `@prx-voice/source` export condition, so no
 * build is needed first, and each run leaves a JSON report that `.ci/run` sums.
 */
import { defineProject } from 'vitest/config';
import type { ViteUserConfig } from 'vitest/config';

const conditions = ['@prx-voice/source', 'node', 'development|production'];

/** Builds the vitest project config of one package. */
export function packageConfig(
  overrides: { testTimeout?: number; include?: string[] } = {},
): ViteUserConfig {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@prx-voice/source'] } },
    test: {
      include: overrides.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: overrides.testTimeout ?? 20_000,
      // Embedded PGlite takes seconds to start on a busy 2-core machine.
      hookTimeout: 60_000,
      reporters: ['default', ['json', { outputFile: '.reports/vitest.json' }]],
    },
  });
}
