// docs/admin-guide.md stays true: its `sh` blocks run, as written, in a scratch directory
// beside the built bridge; its `console` blocks (Docker, systemd, a bridge that runs for
// ever) call the project's programs only with options those programs document; its
// homeserver.yaml lines use the key the tests give their Synapse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SqliteBridgeStore } from '../../../src/store';
import { openConnectorDatabase } from '../../../src/connectors/storage';
import { homeserverConfig, repoRoot } from '../../helpers/synapse';

interface Block { lang: string; text: string }

const guide = readFileSync(join(repoRoot, 'docs/admin-guide.md'), 'utf8');

function blocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\S*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], text: m[2] }));
}

test('every code block of the admin guide says what it is: sh (run by this test), console or yaml', () => {
  for (const block of blocks(guide)) assert.ok(['sh', 'console', 'yaml'].includes(block.lang), `a block tagged "${block.lang}":\n${block.text}`);
});

test('the admin guide\'s sh blocks run as written', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'admin-guide-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  symlinkSync(join(repoRoot, 'dist'), join(dir, 'dist'));
  copyFileSync(join(repoRoot, 'config.sample.yaml'), join(dir, 'config.sample.yaml'));
  // a database as a stopped bridge leaves it, for the backup step
  await SqliteBridgeStore.open(join(dir, 'bridge.db')).close();
  openConnectorDatabase(join(dir, 'bridge.interop.db')).close();
  const script = blocks(guide).filter((b) => b.lang === 'sh').map((b) => b.text).join('\n');
  execFileSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, stdio: 'pipe', timeout: 60_000 });

  assert.equal(statSync(join(dir, 'registration.yaml')).mode & 0o777, 0o600);
  const registration = parse(readFileSync(join(dir, 'registration.yaml'), 'utf8')) as { url: string; as_token: string };
  assert.equal(registration.url, 'http://127.0.0.1:29330');
  assert.ok(registration.as_token.length >= 32);
  assert.equal(statSync(join(dir, 'key_store_secret')).mode & 0o777, 0o600);
  assert.ok(readFileSync(join(dir, 'key_store_secret'), 'utf8').trim().length >= 32);
  assert.equal(statSync(join(dir, 'bridge.db.backup')).mode & 0o777, 0o600);
  await SqliteBridgeStore.open(join(dir, 'bridge.db.backup')).close();
  assert.equal(statSync(join(dir, 'bridge.interop.db.backup')).mode & 0o777, 0o600);
  assert.ok(existsSync(join(dir, 'compose-data', 'bridge', 'config.yaml')));
});

/** the options a program's --help documents */
function documentedOptions(cli: string): Set<string> {
  const help = execFileSync(process.execPath, [join(repoRoot, cli), '--help'], { encoding: 'utf8' });
  return new Set([...help.matchAll(/(?<![\w-])(--?[a-z][a-z-]*)/g)].map((m) => m[1]));
}

test('the programs in the admin guide\'s console blocks are called only with options they document', () => {
  const helps = new Map<string, Set<string>>();
  let calls = 0;
  for (const block of blocks(guide).filter((b) => b.lang === 'console')) {
    const text = block.text.replace(/\\\n/g, ' ');
    for (const line of text.split('\n')) {
      // a program by its path, or the image by its name (its entrypoint is the bridge's cli.js)
      const call = /dist\/src\/((?:gateway\/|sim\/)?cli\.js)((?:\s+[^\s#]+)*)/.exec(line) ??
        /(?<=\s)matrix-interop-bridge()((?:\s+[^\s#]+)*)$/.exec(line);
      if (!call || line.includes('docker build')) continue;
      const cli = `dist/src/${call[1] || 'cli.js'}`;
      if (!helps.has(cli)) helps.set(cli, documentedOptions(cli));
      for (const option of call[2].trim().split(/\s+/).filter((w) => /^--?[a-z]/.test(w))) {
        assert.ok(helps.get(cli)?.has(option), `${option} is not in ${cli} --help (${line.trim()})`);
      }
      calls += 1;
    }
  }
  assert.ok(calls >= 4, 'the guide calls the bridge, the gateway and the sim');
});

test('the homeserver.yaml lines in the admin guide use the key the tests give Synapse', () => {
  const yamlBlocks = blocks(guide).filter((b) => b.lang === 'yaml').map((b) => parse(b.text) as Record<string, unknown>);
  const given = homeserverConfig({ serverName: 'x', port: 1, dir: '/x', sharedSecret: 's', registrationFiles: ['/r.yaml'] });
  const lines = yamlBlocks.find((b) => 'app_service_config_files' in b);
  assert.ok(lines && Array.isArray(lines.app_service_config_files) && 'app_service_config_files' in given);
});

// The log table explains lines by how they start; a line reworded in the code and not in the
// guide would leave the admin with an explanation of nothing. Each row's longest fixed piece
// (the text between "…" placeholders, code spans excluded) must occur in the sources.
test('every line the admin guide\'s log table explains is one the code can log', () => {
  const sources = sourceTexts(join(repoRoot, 'src'));
  const rows = [...guide.matchAll(/^\| `([^`]+)`(?:, `([^`]+)`)? \|/gm)].flatMap((m) => [m[1], m[2]]).filter((s): s is string => !!s);
  assert.ok(rows.length >= 20, `the log table has ${rows.length} rows`);
  for (const row of rows) {
    const pieces = row.replace(/^matrix-interop-bridge: /, '').split(/…|\b[NMk]\b|@user/).map((p) => p.trim()).filter((p) => p.length > 0);
    const longest = pieces.sort((a, b) => b.length - a.length)[0];
    assert.ok(sources.some((text) => text.includes(longest)), `"${row}": no source file contains "${longest}"`);
  }
});

function sourceTexts(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'));
}
