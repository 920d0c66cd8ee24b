import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config';
import { generateRegistration, readRegistration, writeRegistration } from '../../../src/registration';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const config = parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'));

test('generated registration has exclusive namespaces, ephemeral events and no rate limit', () => {
  const reg = generateRegistration(config, 'http://127.0.0.1:1234');
  assert.equal(reg.url, 'http://127.0.0.1:1234');
  assert.equal(reg.rate_limited, false);
  assert.equal(reg.receive_ephemeral, true);
  assert.equal(reg['de.sorunome.msc2409.push_ephemeral'], true);
  assert.ok(reg.namespaces.users.every((ns) => ns.exclusive));
  assert.match(reg.as_token, /^[0-9a-f]{64}$/);
  assert.notEqual(reg.as_token, reg.hs_token);
  assert.notEqual(generateRegistration(config).as_token, reg.as_token);
});

test('ghost namespace matches E.164 ghosts and nothing else', () => {
  const reg = generateRegistration(config);
  const ghost = new RegExp(`^${reg.namespaces.users[1].regex}$`);
  assert.ok(ghost.test('@wa_+4915112345678:example.org'));
  assert.ok(!ghost.test('@wa_4915112345678:example.org'));
  assert.ok(!ghost.test('@wa_+49151:example.org.evil'));
  assert.ok(!ghost.test('@alice:example.org'));
  const bot = new RegExp(`^${reg.namespaces.users[0].regex}$`);
  assert.ok(bot.test('@interopbot:example.org'));
  assert.ok(!bot.test('@interopbotx:example.org'));
});

test('a written registration reads back; the committed example is refused as a placeholder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mib-reg-'));
  const path = join(dir, 'registration.yaml');
  const reg = generateRegistration(config);
  writeRegistration(path, reg);
  assert.deepEqual(readRegistration(path), reg);
  assert.throws(() => readRegistration(join(repoRoot, 'registration.example.yaml')), /as_token: is a placeholder/);
  assert.throws(() => readRegistration(join(dir, 'missing.yaml')), /appservice\.registration: \S*missing\.yaml does not exist; write one with -r/);
});

test('a registration is written 0600, also when it overwrites a world-readable file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mib-reg-'));
  const path = join(dir, 'registration.yaml');
  writeFileSync(path, 'old', { mode: 0o644 });
  chmodSync(path, 0o644);
  writeRegistration(path, generateRegistration(config));
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('the README first-run path writes no tracked file', () => {
  // `-f registration.yaml` at the repository root must be ignored by git, and not collide
  // with the committed example
  const ignored = readFileSync(join(repoRoot, '.gitignore'), 'utf8').split('\n');
  assert.ok(ignored.includes('/registration.yaml'));
  assert.ok(!existsSync(join(repoRoot, 'registration.yaml')) || !execFileSync('git', ['ls-files', 'registration.yaml'], { cwd: repoRoot, encoding: 'utf8' }).trim());
});

test('with security.encryption on, the registration asks for MSC4190 and MSC3202; off (the default) it does not', () => {
  assert.equal(config.security.encryption, 'off', 'the sample keeps encryption off');
  const plain = generateRegistration(config);
  assert.equal(plain['io.element.msc4190'], undefined);
  assert.equal(plain['org.matrix.msc3202'], undefined);
  for (const encryption of ['allow', 'default', 'require'] as const) {
    const reg = generateRegistration({ ...config, security: { ...config.security, encryption } });
    assert.equal(reg['io.element.msc4190'], true, encryption);
    assert.equal(reg['org.matrix.msc3202'], true, encryption);
    assert.equal(reg.receive_ephemeral, true, encryption);
  }
});
