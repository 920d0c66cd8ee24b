// Lint: the recommended rules of eslint and typescript-eslint, run by `npm test` and CI, plus
// two type-aware rules that catch the bugs a bridge cannot afford: a promise nobody awaits
// (its rejection is lost, or crashes the process) and a promise handed to a callback that
// expects a plain function (an express handler, an event listener).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** node:test's test()/describe() return promises the runner itself awaits */
const testRunnerCalls = [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }];

/**
 * The connector boundary (docs/DESIGN "Rules of the house"): core/ speaks to a network only
 * through src/network/remote-network.ts and src/network/connector.ts, so that a second connector
 * fits without touching core/. Importing a connector, or the interop protocol's client,
 * gateway or simulator, from core/ is an error. runtime.ts and src/connectors/ compose them.
 */
export const coreBoundary = {
  files: ['src/core/**/*.ts'],
  rules: {
    '@typescript-eslint/no-restricted-imports': ['error', {
      patterns: [{
        group: ['**/network/interop', '**/network/interop/**', '**/interop-client', '**/interop-client/**', '**/gateway/**', '**/sim/**', '**/connectors', '**/connectors/**'],
        message: 'core/ must not import a connector: use the interfaces in src/network/remote-network.ts and src/network/connector.ts (runtime.ts composes the connector).',
      }],
    }],
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.synapse/**', 'vendor/**', 'coverage/**', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: testRunnerCalls }],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  coreBoundary,
);
