import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig, resolveSecrets } from '../../../src/config';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const sampleText = readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8');

function problemsOf(yamlText: string): string[] {
  try {
    parseConfig(yamlText);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('config was accepted');
}

const minimal = `
homeserver: { url: "http://127.0.0.1:8008", domain: example.org }
appservice: { port: 29330, url: "http://127.0.0.1:29330" }
bridge: { permissions: { example.org: user } }
network: { connector: interop, gateway_url: "ws://127.0.0.1:29340", provider_id: bridge }
`;

test('the sample config is valid against the schema', () => {
  const config = parseConfig(sampleText, 'config.sample.yaml');
  assert.equal(config.homeserver.domain, 'example.org');
  assert.equal(config.appservice.ghost_username_template, 'wa_{phone}');
});

test('the sample config documents every key with a comment', () => {
  const lines = sampleText.split('\n');
  lines.forEach((line, index) => {
    const key = /^\s*#?\s*([a-z_]+):/.exec(line);
    if (!key || line.trim().startsWith('# ')) return;
    const previous = lines[index - 1]?.trim() ?? '';
    assert.ok(previous.startsWith('#'), `key on line ${index + 1} (${key[1]}) has no comment above it`);
  });
});

test('defaults fill every section that is left out', () => {
  const config = parseConfig(minimal);
  assert.equal(config.database.path, 'bridge.db');
  assert.equal(config.appservice.bot_username, 'interopbot');
  assert.equal(config.logging.level, 'info');
  assert.equal(config.logging.redact, true, 'logs are redacted unless the admin says otherwise');
  assert.equal(config.security.refuse_unencrypted_providers, false);
  assert.deepEqual(config.security.trust, { share_room_keys_with: 'cross_signed_if_set_up', accept_messages_from: 'any_device' });
  assert.equal(config.metrics.enabled, false);
});

test('security.trust takes only its named values', () => {
  const config = parseConfig(minimal + 'security: { trust: { share_room_keys_with: all_devices } }\n');
  assert.deepEqual(config.security.trust, { share_room_keys_with: 'all_devices', accept_messages_from: 'any_device' });
  assert.throws(() => parseConfig(minimal + 'security: { trust: { accept_messages_from: verified } }\n'), /security\.trust\.accept_messages_from/);
});

test('every bad key is named at once, with what is wrong', () => {
  const problems = problemsOf(`
homesever: { url: "http://x" }
appservice: { port: 70000, url: "http://127.0.0.1:1" }
bridge: { permissions: { example.org: owner }, user_guide_url: "docs/user-guide.md" }
network: { connector: "No Such" }
logging: { level: loud, redact: sometimes }
`);
  assert.deepEqual(problems.sort(), [
    'appservice.port: must be an integer 1-65535',
    'bridge.permissions.example.org: must be one of: user, admin',
    'bridge.user_guide_url: must be an http(s) URL',
    'homeserver: required',
    'homesever: unknown key (did you mean homeserver?)',
    'logging.level: must be one of: trace, debug, info, warn, error',
    'logging.redact: must be true or false',
    'network.connector: must match ^[a-z0-9_-]+$',
  ]);
});

test('a missing nested key is reported as required', () => {
  const problems = problemsOf(minimal.replace('domain: example.org', 'domian: example.org'));
  assert.ok(problems.includes('homeserver.url: required') === false);
  assert.ok(problems.includes('homeserver.domain: required'), problems.join('\n'));
  assert.ok(problems.includes('homeserver.domian: unknown key (did you mean domain?)'), problems.join('\n'));
});

test('the ghost template must contain {phone}', () => {
  const problems = problemsOf(minimal.replace('port: 29330,', 'port: 29330, ghost_username_template: "wa_",'));
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^appservice\.ghost_username_template: must contain \{phone\}/);
});

test('YAML syntax errors are reported, not thrown raw', () => {
  const problems = problemsOf('homeserver: [unclosed');
  assert.match(problems[0], /^YAML syntax:/);
});

test('core secrets come from files and environment variables, the environment winning (the connector reads its own: tests/unit/connectors)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mib-config-'));
  writeFileSync(join(dir, 'secret'), 'from-file\n');
  const config = parseConfig(minimal + `security: { key_store_secret_file: ${join(dir, 'secret')} }\n`);
  assert.equal(resolveSecrets(config, {}).security.key_store_secret, 'from-file');
  assert.equal(resolveSecrets(config, { INTEROP_KEY_STORE_SECRET: 'from-env' }).security.key_store_secret, 'from-env');
  const missing = parseConfig(minimal + 'security: { key_store_secret_file: /nonexistent/x }\n');
  assert.throws(() => resolveSecrets(missing, {}), /security\.key_store_secret_file: \/nonexistent\/x does not exist/);
});

test('loadConfig names the file it cannot read', () => {
  assert.throws(() => loadConfig('/nonexistent/config.yaml'), /\/nonexistent\/config\.yaml[\s\S]*ENOENT/);
});

test('listeners left without an address bind to INTEROP_LISTEN_ADDRESS (the container image: 0.0.0.0), an address in the file wins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'config-listen-'));
  const unset = join(dir, 'sample.yaml');
  writeFileSync(unset, sampleText);
  assert.equal(loadConfig(unset, {}).appservice.address, '127.0.0.1', 'loopback when nothing says otherwise');
  const inContainer = loadConfig(unset, { INTEROP_LISTEN_ADDRESS: '0.0.0.0' });
  assert.equal(inContainer.appservice.address, '0.0.0.0');
  assert.equal(inContainer.metrics.address, '0.0.0.0');
  assert.equal(inContainer.provisioning.address, '0.0.0.0');
  assert.equal(loadConfig(unset, {}).provisioning.address, '127.0.0.1');
  assert.equal(loadConfig(unset, {}).provisioning.port, 29331);
  const explicit = join(dir, 'explicit.yaml');
  writeFileSync(explicit, sampleText.replace('# address: 127.0.0.1', 'address: 192.0.2.7'));
  assert.equal(loadConfig(explicit, { INTEROP_LISTEN_ADDRESS: '0.0.0.0' }).appservice.address, '192.0.2.7');
});
