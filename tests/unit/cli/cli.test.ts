import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRegistration } from '../../../src/registration';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const cli = join(repoRoot, 'dist', 'src', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'mib-cli-'));

function run(...args: string[]) {
  return runWith({}, ...args);
}

function runWith(env: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1', ...env } });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

test('--help prints usage and exits 0', () => {
  const { code, out } = run('--help');
  assert.equal(code, 0);
  assert.match(out, /--generate-registration/);
  assert.match(out, /migrate-db -c config\.yaml/);
});

test('bad usage exits 2', () => {
  assert.equal(run('--no-such-flag').code, 2);
  assert.equal(run('migrate-everything', '-c', 'x.yaml').code, 2);
  assert.equal(run('migrate-db', 'extra', '-c', 'x.yaml').code, 2);
  assert.equal(run('migrate-db', '-r', '-c', 'x.yaml').code, 2);
  assert.equal(run().code, 2);
  assert.equal(run('-c', 'x.yaml', '-u', 'http://x').code, 2);
});

test('a config with missing and mistyped keys exits 1 naming every bad key', () => {
  const path = join(dir, 'bad.yaml');
  writeFileSync(path, 'homesever: {url: "http://x"}\nappservice: {port: 0, url: "http://127.0.0.1:1"}\n');
  const { code, err } = run('-c', path);
  assert.equal(code, 1);
  for (const expected of [
    'homeserver: required',
    'homesever: unknown key (did you mean homeserver?)',
    'appservice.port: must be an integer 1-65535',
    'bridge: required',
    'network: required',
  ]) {
    assert.ok(err.includes(expected), `missing "${expected}" in:\n${err}`);
  }
});

test('-r writes a registration that reads back, and refuses to overwrite without --force', () => {
  const config = join(repoRoot, 'config.sample.yaml');
  const reg = join(dir, 'registration.yaml');
  const first = run('-r', '-c', config, '-u', 'http://127.0.0.1:4321', '-f', reg);
  assert.equal(first.code, 0, first.err);
  const written = readRegistration(reg);
  assert.equal(written.url, 'http://127.0.0.1:4321');
  assert.equal(run('-r', '-c', config, '-f', reg).code, 1);
  assert.equal(readFileSync(reg, 'utf8').includes(written.as_token), true);
  assert.equal(run('-r', '-c', config, '-f', reg, '--force').code, 0);
  assert.notEqual(readRegistration(reg).as_token, written.as_token);
});

test('starting with the placeholder registration exits 1 and says why', () => {
  const path = join(dir, 'placeholder.yaml');
  const sample = readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8');
  writeFileSync(path, sample.replace('registration: registration.yaml', `registration: ${join(repoRoot, 'registration.example.yaml')}`));
  const { code, err } = runWith({ INTEROP_KEY_STORE_SECRET: 'a-real-secret-of-enough-length', INTEROP_PROVIDER_SECRET: 'a-real-provider-secret' }, '-c', path);
  assert.equal(code, 1);
  assert.match(err, /as_token: is a placeholder/);
});

test("starting with the sample's placeholder provider secret (change-me) exits 1 and names the key", () => {
  const { code, err } = runWith({ INTEROP_KEY_STORE_SECRET: 'a-real-secret-of-enough-length' }, '-c', join(repoRoot, 'config.sample.yaml'));
  assert.equal(code, 1);
  assert.match(err, /network\.provider_secret: is the sample's placeholder \(change-me\)/);
});

test('a database path in a missing directory exits 1 at once, naming the path (the homeserver is not waited for)', () => {
  const config = join(dir, 'bad-db.yaml');
  const reg = join(dir, 'bad-db-registration.yaml');
  const dbPath = join(dir, 'no-such-dir', 'bridge.db');
  const sample = readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8');
  writeFileSync(config, sample
    .replace('registration: registration.yaml', `registration: ${reg}`)
    .replace(/path: \S*bridge\.db/, `path: ${dbPath}`)
    .replace('url: http://127.0.0.1:8008', 'url: http://127.0.0.1:9'));
  assert.equal(run('-r', '-c', config).code, 0);
  const { code, err } = runWith({ INTEROP_KEY_STORE_SECRET: 'a-real-secret-of-enough-length', INTEROP_PROVIDER_SECRET: 'a-real-provider-secret' }, '-c', config);
  assert.equal(code, 1, err);
  assert.ok(err.includes(`cannot open the database at ${dbPath} (database.path): the directory ${join(dir, 'no-such-dir')} does not exist; the directory must exist and be writable by user `), err);
});

test("starting with the sample's placeholder key-store secret exits 1 and says how to make one", () => {
  const { code, err } = run('-c', join(repoRoot, 'config.sample.yaml'));
  assert.equal(code, 1);
  assert.match(err, /security\.key_store_secret: is the sample's placeholder; generate one/);
});

test('security.encryption: require is accepted at start: only the config\'s other problems are named', () => {
  const path = join(dir, 'require-encryption.yaml');
  writeFileSync(path, readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8').replace('encryption: off', 'encryption: require'));
  const { code, err } = run('-c', path);
  assert.equal(code, 1);
  assert.match(err, /security\.key_store_secret: is the sample's placeholder/);
  assert.doesNotMatch(err, /security\.encryption/);
});

test('an unhandled rejection or uncaught exception is logged and exits with the crash code', () => {
  for (const [kind, fault] of [
    ['unhandled rejection', 'Promise.reject(new Error("boom in a void call"))'],
    ['uncaught exception', 'setTimeout(() => { throw new Error("boom in a timer"); }, 5)'],
  ]) {
    // the CLI's own handler, installed in a process of its own: the process must not run on
    const script = `const cli = require(${JSON.stringify(cli)}); cli.exitOnUnhandledErrors(); ${fault}; setTimeout(() => process.exit(0), 5000);`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    assert.equal(result.status, 3, `${kind}: ${result.stderr}`);
    assert.match(result.stderr, new RegExp(`crashed on an ${kind}, exiting with code 3`));
    assert.match(result.stderr, /boom in a/, 'the error itself is logged');
  }
});
