// The CLI printed a dependency's DEP0060 deprecation warning on every run, --help included.
// It is kept off stderr now; any other warning still shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/synapse';

const cli = join(repoRoot, 'dist', 'src', 'cli.js');
const envWithWarnings = () => {
  const env = { ...process.env };
  delete env.NODE_NO_WARNINGS;
  return env;
};

test('--help prints no DEP0060 warning', () => {
  const result = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8', env: envWithWarnings() });
  assert.equal(result.status, 0);
  assert.doesNotMatch(result.stderr, /DEP0060|util\._extend/);
  assert.equal(result.stderr, '');
});

test('other warnings are still printed once the CLI module is loaded', () => {
  const script = `require(${JSON.stringify(join(repoRoot, 'dist', 'src', 'known-warnings.js'))});
    require('@vector-im/matrix-bot-sdk');
    process.emitWarning('something else', { code: 'XTEST1' });`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: envWithWarnings() });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /\[XTEST1\] Warning: something else/);
  assert.doesNotMatch(result.stderr, /DEP0060/);
});
