/**
 * The lint rule that keeps connectors out of core/ (eslint.config.mjs, coreBoundary) really
 * fires: the project's own lint configuration is run over a core/ file that imports the
 * interop connector, and over the same import from runtime's place, where it is allowed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const RULE = '@typescript-eslint/no-restricted-imports';

async function restrictedImports(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, file) });
  return result.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

test('core/ importing the interop connector fails lint, with the reason', async () => {
  const messages = await restrictedImports(
    'src/core/errors.ts',
    "import { InteropNetwork } from '../network/interop/interop-network';\nexport const probe = InteropNetwork;\n",
  );
  assert.equal(messages.length, 1, messages.join('\n'));
  assert.match(messages[0], /core\/ must not import a connector/);
});

test('core/ importing the interop client library or the connector registry fails lint too', async () => {
  const messages = await restrictedImports(
    'src/core/errors.ts',
    "export type { InteropClient } from '../interop-client/client';\nexport { findConnector } from '../connectors/registry';\n",
  );
  assert.equal(messages.length, 2, messages.join('\n'));
});

test('the boundary interfaces stay importable from core/, and runtime.ts may import the connector', async () => {
  assert.deepEqual(await restrictedImports('src/core/errors.ts', "export type { RemoteNetwork } from '../network/remote-network';\n"), []);
  assert.deepEqual(
    await restrictedImports('src/runtime.ts', "export { InteropNetwork } from './network/interop/interop-network';\n"),
    [],
  );
});

test('core/ as it is passes the rule', async () => {
  const eslint = new ESLint({ cwd: repoRoot });
  const results = await eslint.lintFiles([join(repoRoot, 'src/core')]);
  const violations = results.flatMap((r) => r.messages.filter((m) => m.ruleId === RULE).map((m) => `${r.filePath}: ${m.message}`));
  assert.deepEqual(violations, []);
});
