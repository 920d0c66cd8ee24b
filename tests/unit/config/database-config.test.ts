/** database.type, url and pool_size: what goes together, and messages that never repeat the
 *  connection string (it may hold the password). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../../src/config';

const minimal = `
homeserver: { url: "http://127.0.0.1:8008", domain: example.org }
appservice: { port: 29330, url: "http://127.0.0.1:29330" }
bridge: { permissions: { example.org: user } }
network: { connector: interop, gateway_url: "ws://127.0.0.1:29340", provider_id: bridge }
`;

function problemsOf(yamlText: string): string[] {
  try {
    parseConfig(yamlText);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.doesNotMatch(error.message, /s3cret/, 'the password is not repeated');
    return error.problems;
  }
  assert.fail('config was accepted');
}

test('database: SQLite by default, as before, with a pool size that only PostgreSQL uses', () => {
  const config = parseConfig(minimal);
  assert.deepEqual(config.database, { type: 'sqlite', path: 'bridge.db', pool_size: 10 });
});

test('database: postgres takes a connection string and a pool size, and keeps path for the local files', () => {
  const config = parseConfig(minimal + 'database: { type: postgres, url: "postgres://bridge:s3cret@db.example.org:5432/bridge", pool_size: 20 }\n');
  assert.equal(config.database.type, 'postgres');
  assert.equal(config.database.url, 'postgres://bridge:s3cret@db.example.org:5432/bridge');
  assert.equal(config.database.pool_size, 20);
  assert.equal(config.database.path, 'bridge.db');
});

test('database: postgres without a connection string is refused, naming the key', () => {
  assert.deepEqual(problemsOf(minimal + 'database: { type: postgres }\n'), [
    'database.url: required when database.type is postgres (postgres://user:password@host:5432/database)',
  ]);
});

test('database: a connection string with type sqlite is refused (the admin meant PostgreSQL, or not)', () => {
  assert.deepEqual(problemsOf(minimal + 'database: { url: "postgres://bridge:s3cret@db/bridge" }\n'), [
    'database.url: only used with database.type: postgres (set type: postgres, or remove url to keep SQLite)',
  ]);
});

test('database: a wrong type, a URL of another scheme and a pool size out of range are each named', () => {
  assert.deepEqual(problemsOf(minimal + 'database: { type: mysql }\n'), ['database.type: must be one of: sqlite, postgres']);
  assert.deepEqual(problemsOf(minimal + 'database: { type: postgres, url: "mysql://bridge:s3cret@db/bridge" }\n'), [
    'database.url: must be a postgres:// connection string',
  ]);
  assert.deepEqual(problemsOf(minimal + 'database: { type: postgres, url: "postgres://db/bridge", pool_size: 0 }\n'), [
    'database.pool_size: must be an integer 1-100',
  ]);
  assert.deepEqual(problemsOf(minimal + 'database: { type: postgres, url: "postgres://db/bridge", pool_size: 101 }\n'), [
    'database.pool_size: must be an integer 1-100',
  ]);
});
