/**
 * The connector's own storage (src/connectors/storage.ts): a file of its own, and an install
 * from before, whose Signal keys sit in the bridge's database, keeps them: moved once, read by
 * the connector from its own file, gone from the bridge's. A stop between copy and drop, and
 * two files that both hold the keys, are handled as the module says.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteBridgeStore } from '../../../src/store';
import { SignalDatabase } from '../../../src/interop-client/signal/sqlite-database';
import { SodiumSecretBox } from '../../../src/interop-client/signal/secret-box';
import { generateDeviceKeys } from '../../../src/interop-client/signal/keys';
import { ACCOUNT_TABLES, SIGNAL_SCHEMA_VERSION, SIGNAL_TABLES } from '../../../src/interop-client/signal/migrations';
import { BridgeKeyStore } from '../../../src/network/interop/signal-keys';
import { interopConnector } from '../../../src/network/interop/connector';
import { StartupError } from '../../../src/startup';
import {
  connectorDatabasePath, copyLegacyTables, openConnectorDatabase, openConnectorStorage,
} from '../../../src/connectors/storage';

const SECRET = 'a-test-key-store-secret-of-length';
const ACCOUNT = '@alice:example.org';

function signalTablesIn(db: Database.Database): string[] {
  // a test may look around; the bridge itself never scans sqlite_master
  return db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'signal%' ORDER BY name").all().map((r) => r.name);
}

/** A database as the bridge wrote it before connectors had storage: the key store in bridge.db. */
async function oldInstall(): Promise<{ dir: string; path: string; publicKey: Buffer; prekeys: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'connector-storage-'));
  const path = join(dir, 'bridge.db');
  const store = SqliteBridgeStore.open(path);
  await store.users.ensure(ACCOUNT);
  const signal = new SignalDatabase(store.connection);
  const stores = signal.forAccount(ACCOUNT, await SodiumSecretBox.fromSecret(SECRET));
  await generateDeviceKeys(stores, { oneTimePreKeys: 3, oneTimeKyberPreKeys: 1 });
  await stores.local.setDeviceId(7);
  const local = await stores.local.load();
  const prekeys = await stores.preKey.countPreKeys();
  await store.close();
  return { dir, path, publicKey: Buffer.from(local!.identityKeyPair.publicKey.serialize()), prekeys };
}

async function keysOf(database: Database.Database): Promise<{ publicKey: Buffer; deviceId?: number; prekeys: number }> {
  const keys = new BridgeKeyStore(database, await SodiumSecretBox.fromSecret(SECRET)).forAccount(ACCOUNT);
  const local = await keys.local.load();
  assert.ok(local, 'the login keys are found');
  return { publicKey: Buffer.from(local.identityKeyPair.publicKey.serialize()), deviceId: local.deviceId, prekeys: await keys.preKey.countPreKeys() };
}

test("the connector's file sits next to the bridge's; in memory when the bridge's is", () => {
  assert.equal(connectorDatabasePath('/data/bridge.db', 'interop'), '/data/bridge.interop.db');
  assert.equal(connectorDatabasePath('bridge.sqlite3', 'interop'), 'bridge.interop.sqlite3');
  assert.equal(connectorDatabasePath('/data/bridge', 'interop'), '/data/bridge.interop');
  assert.equal(connectorDatabasePath(':memory:', 'interop'), ':memory:');
});

test("an old install's keys move into the connector's own file and still work; the bridge's data stays", async () => {
  const old = await oldInstall();
  const store = SqliteBridgeStore.open(old.path);
  const opened = openConnectorStorage(store.connection, old.path, interopConnector);
  assert.equal(opened.path, join(old.dir, 'bridge.interop.db'));
  assert.deepEqual([...opened.moved].sort(), [...SIGNAL_TABLES].sort());
  assert.deepEqual(signalTablesIn(store.connection), [], "the keys are gone from the bridge's database");
  assert.ok(await store.users.get(ACCOUNT), "the bridge's own tables are untouched");
  const keys = await keysOf(opened.storage.database);
  assert.deepEqual(keys, { publicKey: old.publicKey, deviceId: 7, prekeys: old.prekeys });
  const indexes = opened.storage.database.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'signal_identity_changes_by_name'").all();
  assert.equal(indexes.length, 1, 'indexes move with their tables');
  assert.equal(statSync(opened.path).mode & 0o077, 0, "the connector's file is private to the bridge's user");
  opened.close();
  await store.close();

  // the next start moves nothing and reads the same keys
  const again = SqliteBridgeStore.open(old.path);
  const reopened = openConnectorStorage(again.connection, old.path, interopConnector);
  assert.deepEqual(reopened.moved, []);
  assert.deepEqual((await keysOf(reopened.storage.database)).publicKey, old.publicKey);
  reopened.close();
  await again.close();
});

test("an install whose key store is an older schema (v1): moved as it is, then migrated in the connector's file", async () => {
  const old = await oldInstall();
  // what key-store schema 1 left: no retired_at / old_device_id columns, no group tables (3), version 1
  const raw = new Database(old.path);
  raw.exec('ALTER TABLE signal_remote_identities DROP COLUMN retired_at; ALTER TABLE signal_identity_changes DROP COLUMN old_device_id');
  raw.exec('DROP TABLE signal_sender_keys; DROP TABLE signal_group_sending; DROP TABLE signal_group_key_holders; DROP TABLE signal_group_senders');
  raw.exec('DELETE FROM signal_schema_version; INSERT INTO signal_schema_version (version) VALUES (1)');
  raw.close();
  const store = SqliteBridgeStore.open(old.path);
  const opened = openConnectorStorage(store.connection, old.path, interopConnector);
  assert.deepEqual((await keysOf(opened.storage.database)).publicKey, old.publicKey);
  const columns = opened.storage.database.prepare<[], { name: string }>('PRAGMA table_info(signal_remote_identities)').all().map((c) => c.name);
  assert.ok(columns.includes('retired_at'), 'migration 2 ran on the moved tables');
  assert.equal(opened.storage.database.prepare<[], { version: number }>('SELECT version FROM signal_schema_version').get()?.version, SIGNAL_SCHEMA_VERSION);
  opened.close();
  await store.close();
});

test('a stop between the copy and the drop: the next start finishes the move and keeps the keys', async () => {
  const old = await oldInstall();
  const target = openConnectorDatabase(connectorDatabasePath(old.path, 'interop'));
  copyLegacyTables(target, old.path, SIGNAL_TABLES);
  target.close();
  // (stopped here: both files hold the tables)
  const store = SqliteBridgeStore.open(old.path);
  assert.notDeepEqual(signalTablesIn(store.connection), []);
  const opened = openConnectorStorage(store.connection, old.path, interopConnector);
  assert.deepEqual(signalTablesIn(store.connection), []);
  assert.deepEqual((await keysOf(opened.storage.database)).publicKey, old.publicKey);
  opened.close();
  await store.close();
});

test("both files hold the keys and the connector's copy is not from a move: refused by name, nothing dropped", async () => {
  const old = await oldInstall();
  // a connector file made fresh by the connector itself (an old bridge.db restored beside it)
  const fresh = openConnectorDatabase(connectorDatabasePath(old.path, 'interop'));
  new SignalDatabase(fresh).forAccount(ACCOUNT);
  fresh.close();
  const store = SqliteBridgeStore.open(old.path);
  assert.throws(() => openConnectorStorage(store.connection, old.path, interopConnector), (error: Error) => {
    assert.ok(error instanceof StartupError);
    assert.match(error.message, /both the bridge's database \(.*bridge\.db\) and the connector's \(.*bridge\.interop\.db\) hold signal_/);
    assert.match(error.message, /restore the two files from the same backup/);
    return true;
  });
  assert.deepEqual(signalTablesIn(store.connection).sort(), [...SIGNAL_TABLES].sort(), 'the old keys are still there');
  await store.close();
});

test('a new install: the connector makes its tables in its own file, the bridge file has none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'connector-storage-'));
  const path = join(dir, 'bridge.db');
  const store = SqliteBridgeStore.open(path);
  const opened = openConnectorStorage(store.connection, path, interopConnector);
  assert.deepEqual(opened.moved, []);
  const keys = new BridgeKeyStore(opened.storage.database, await SodiumSecretBox.fromSecret(SECRET)).forAccount(ACCOUNT);
  await generateDeviceKeys(keys, { oneTimePreKeys: 1, oneTimeKyberPreKeys: 0 });
  assert.deepEqual(signalTablesIn(store.connection), []);
  assert.ok(signalTablesIn(opened.storage.database).includes('signal_local_accounts'));
  opened.close();
  await store.close();
});

test('a bridge on PostgreSQL: the connector still has its file beside database.path, and finds its keys there', async () => {
  const old = await oldInstall();
  // migrate-db moved the keys when the bridge left SQLite; bridge.db is no longer opened
  const store = SqliteBridgeStore.open(old.path);
  openConnectorStorage(store.connection, old.path, interopConnector).close();
  await store.close();
  const opened = openConnectorStorage(undefined, old.path, interopConnector);
  assert.equal(opened.path, join(old.dir, 'bridge.interop.db'));
  assert.deepEqual(opened.moved, []);
  assert.deepEqual((await keysOf(opened.storage.database)).publicKey, old.publicKey);
  opened.close();
});

test('logout deletes from every table keyed by account, which the key store names itself', async () => {
  const db = new Database(':memory:');
  const keys = new BridgeKeyStore(db, await SodiumSecretBox.fromSecret(SECRET));
  await generateDeviceKeys(keys.forAccount(ACCOUNT), { oneTimePreKeys: 2, oneTimeKyberPreKeys: 1 });
  await generateDeviceKeys(keys.forAccount('@bob:example.org'), { oneTimePreKeys: 1, oneTimeKyberPreKeys: 0 });
  // every table with an account column is in the list (a new one must be added to it)
  const withAccount = signalTablesIn(db).filter((t) => db.prepare(`PRAGMA table_info(${t})`).all().some((c) => (c as { name: string }).name === 'account'));
  assert.deepEqual(withAccount.sort(), [...ACCOUNT_TABLES].sort());
  const counts = keys.deleteAccount(ACCOUNT);
  assert.equal(counts.identities, 1);
  assert.ok(counts.preKeys >= 4, JSON.stringify(counts));
  for (const table of ACCOUNT_TABLES) {
    const left = db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM ${table} WHERE account = ?`).get(ACCOUNT);
    assert.equal(left?.n, 0, table);
  }
  assert.ok(await keys.forAccount('@bob:example.org').local.load(), "another user's keys stay");
  db.close();
});

test("a connector file that cannot be opened is named, with the reason, as the bridge's own", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'connector-storage-'));
  const path = join(dir, 'bridge.db');
  const store = SqliteBridgeStore.open(path);
  mkdirSync(join(dir, 'bridge.interop.db'));
  assert.throws(() => openConnectorStorage(store.connection, path, interopConnector), (error: Error) => {
    assert.ok(error instanceof StartupError);
    assert.match(error.message, /^cannot open the database at .*bridge\.interop\.db \(the interop connector's database, beside database\.path\): /);
    return true;
  });
  await store.close();
});
