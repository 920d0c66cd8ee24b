import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config';
import { start } from '../../../src/runtime';
import { SqliteBridgeStore } from '../../../src/store';
import {
  describeReadError, isPlaceholderSecret, openDatabaseFile, provisioningSecretProblems, StartupError,
} from '../../../src/startup';
import { interopStartProblems, type InteropConfig } from '../../../src/network/interop/config';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const sample = () => parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'));

test("the sample's provider secret (change-me) is a placeholder; a real one is not", () => {
  assert.equal(isPlaceholderSecret('change-me'), true);
  assert.equal(isPlaceholderSecret(' CHANGE-ME '), true);
  assert.equal(isPlaceholderSecret('CHANGE_ME_generate_with_openssl_rand'), true);
  assert.equal(isPlaceholderSecret('bridge-dev-secret'), false);
  const section = sample().network as unknown as InteropConfig;
  assert.equal(section.provider_secret, 'change-me', 'the sample still ships the placeholder this refuses');
  assert.match(interopStartProblems(section)[0], /^network\.provider_secret: is the sample's placeholder \(change-me\)/);
  section.provider_secret = 'a-real-secret-from-the-gateway';
  assert.deepEqual(interopStartProblems(section), []);
});

test('start() refuses the placeholder provider secret before opening anything', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mib-startup-'));
  const config = sample();
  config.security.key_store_secret = 'a-real-key-store-secret-0123456789';
  config.database.path = join(dir, 'bridge.db');
  await assert.rejects(start(config), /network\.provider_secret: is the sample's placeholder/);
  assert.throws(() => readFileSync(config.database.path), /ENOENT/, 'no database was created');
});

test('provisioning enabled: a missing, placeholder or short shared secret is refused by name; disabled, none is needed', () => {
  const config = sample();
  assert.deepEqual(provisioningSecretProblems(config), [], 'disabled (the default): no secret needed');
  config.provisioning.enabled = true;
  assert.match(provisioningSecretProblems(config)[0], /^provisioning\.shared_secret: required when provisioning\.enabled is true/);
  config.provisioning.shared_secret = 'change-me';
  assert.match(provisioningSecretProblems(config)[0], /^provisioning\.shared_secret: is the sample's placeholder/);
  config.provisioning.shared_secret = 'short-secret';
  assert.match(provisioningSecretProblems(config)[0], /^provisioning\.shared_secret: must be at least 16 characters/);
  config.provisioning.shared_secret = 'a-long-enough-provisioning-secret';
  assert.deepEqual(provisioningSecretProblems(config), []);
});

test('start() refuses provisioning enabled with the placeholder secret before opening anything', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mib-startup-'));
  const config = sample();
  config.security.key_store_secret = 'a-real-key-store-secret-0123456789';
  config.network.provider_secret = 'a-real-secret-from-the-gateway';
  config.provisioning.enabled = true;
  config.provisioning.shared_secret = 'change-me';
  config.database.path = join(dir, 'bridge.db');
  await assert.rejects(start(config), /provisioning\.shared_secret: is the sample's placeholder/);
  assert.throws(() => readFileSync(config.database.path), /ENOENT/, 'no database was created');
});

test('a database in a directory that does not exist: the path, the reason and the user are named', () => {
  const path = join(tmpdir(), 'no-such-dir-for-mib', 'bridge.db');
  assert.throws(() => openDatabaseFile(path, (p) => SqliteBridgeStore.open(p)), (error: Error) => {
    assert.ok(error instanceof StartupError);
    assert.equal(error.message,
      `cannot open the database at ${path} (database.path): the directory ${join(tmpdir(), 'no-such-dir-for-mib')} does not exist; ` +
      `the directory must exist and be writable by user ${process.getuid?.()}`);
    return true;
  });
});

test('a database path whose directory is a file: named, with the reason from SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mib-startup-'));
  writeFileSync(join(dir, 'file'), 'x');
  const path = join(dir, 'file', 'bridge.db');
  assert.throws(() => openDatabaseFile(path, (p) => SqliteBridgeStore.open(p)), new RegExp(`^StartupError: cannot open the database at ${path} \\(database\\.path\\): `));
});

test('read errors name the file and say why', () => {
  const enoent = Object.assign(new Error('x'), { code: 'ENOENT' });
  const eacces = Object.assign(new Error('x'), { code: 'EACCES' });
  assert.equal(describeReadError('/etc/x.yaml', enoent), '/etc/x.yaml does not exist');
  assert.equal(describeReadError('/etc/x.yaml', eacces), `/etc/x.yaml cannot be read by user ${process.getuid?.()} (EACCES); check its owner and mode`);
});
