import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SchemaTooNewError, SqliteBridgeStore } from '../../../src/store';
import { migrate } from '../../../src/store/sqlite/migrate';
import { migrations } from '../../../src/store/sqlite/migrations';
import { bridgeStoreSuite } from './bridge-store-suite';
import { chatStoreSuite } from './chat-store-suite';
import { providerStoreSuite } from './provider-store-suite';
import { requestStoreSuite } from './request-store-suite';

const dir = mkdtempSync(join(tmpdir(), 'mib-store-'));
let counter = 0;
bridgeStoreSuite('sqlite', async () => SqliteBridgeStore.open(join(dir, `suite-${++counter}.db`)));
chatStoreSuite('sqlite', async () => SqliteBridgeStore.open(join(dir, `suite-${++counter}.db`)));
requestStoreSuite('sqlite', async () => SqliteBridgeStore.open(join(dir, `suite-${++counter}.db`)));
providerStoreSuite('sqlite', async () => SqliteBridgeStore.open(join(dir, `suite-${++counter}.db`)));

test('sqlite: WAL and foreign keys are on; data survives reopening', async () => {
  const path = join(dir, 'reopen.db');
  const store = SqliteBridgeStore.open(path);
  await store.users.ensure('@alice:example.org');
  await store.close();
  const raw = new Database(path);
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  raw.close();
  const again = SqliteBridgeStore.open(path);
  assert.ok(await again.users.get('@alice:example.org'));
  assert.equal(await again.schemaVersion(), migrations.at(-1)?.version);
  await again.close();
});

test('sqlite: a database newer than the code is refused with a clear message', () => {
  const path = join(dir, 'newer.db');
  const raw = new Database(path);
  raw.pragma('user_version = 999');
  raw.close();
  assert.throws(() => SqliteBridgeStore.open(path), (error: unknown) => {
    assert.ok(error instanceof SchemaTooNewError);
    assert.match(error.message, /database schema version 999 is newer than this code supports/);
    return true;
  });
});

test('sqlite: a failing migration rolls back with its version bump', () => {
  const db = new Database(':memory:');
  const broken = [...migrations, { version: 99, name: 'broken', sql: 'CREATE TABLE ok_then (x); SELECT * FROM no_such_table;' }];
  assert.throws(() => migrate(db, broken), /no such table/);
  assert.equal(db.pragma('user_version', { simple: true }), migrations.at(-1)?.version);
  const leftover = db.prepare("SELECT name FROM sqlite_master WHERE name = 'ok_then'").get();
  assert.equal(leftover, undefined);
  db.close();
});

test('sqlite: a version 7 database gains the inbox column, the block, request and provider tables, and keeps its data', async () => {
  const path = join(dir, 'v7.db');
  const raw = new Database(path);
  migrate(raw, migrations.filter((m) => m.version <= 7));
  raw.prepare("INSERT INTO users (mxid, created_at) VALUES ('@alice:example.org', 1)").run();
  raw.close();
  const store = SqliteBridgeStore.open(path);
  assert.equal(await store.schemaVersion(), migrations.at(-1)?.version);
  assert.equal((await store.users.get('@alice:example.org'))?.inboxSpace, null);
  assert.equal(await store.blocks.add('@alice:example.org', '+4915112345678'), true);
  assert.equal(await store.blocks.isBlocked('@alice:example.org', '+4915112345678'), true);
  await store.requests.open({ owner: '@alice:example.org', contact: '+447700900123', provider: 'native', e2ee: true, encrypted: true, firstAt: 1, notice: 'due' });
  assert.equal((await store.requests.list('@alice:example.org')).length, 1);
  await store.providers.setChoice('@alice:example.org', 'plainchat', false);
  assert.equal(await store.providers.choice('@alice:example.org', 'plainchat'), false);
  await store.close();
});
