// What the user wrote is not readable from the bridge's files: outbox jobs are sealed with
// the key-store sealer, deleted content is zeroed (secure_delete), and after a checkpoint
// neither bridge.db nor its -wal holds a message's marker, nor the sealed form of a job
// that was sent. Every database and key file is created 0600.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignalDatabase } from '../../../src/interop-client/signal/sqlite-database';
import { openDatabase } from '../../../src/gateway/store/database';
import { SqliteBridgeStore } from '../../../src/store';

const dbFiles = (path: string): string[] => [path, `${path}-wal`, `${path}-shm`].filter((p) => existsSync(p));

test('at rest: bridge.db and its -wal/-shm, the Signal key store and the gateway database are created 0600', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'at-rest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const old = process.umask(0o022);
  t.after(() => process.umask(old));
  const mode = (file: string) => statSync(file).mode & 0o777;

  const bridge = join(dir, 'bridge.db');
  const store = SqliteBridgeStore.open(bridge);
  store.users.ensure('@alice:example.org');
  for (const file of [bridge, `${bridge}-wal`, `${bridge}-shm`]) assert.equal(mode(file), 0o600, file);
  store.close();

  const keys = join(dir, 'sim-keys.db');
  const signal = new SignalDatabase(keys);
  for (const file of dbFiles(keys)) assert.equal(mode(file), 0o600, file);
  assert.ok(dbFiles(keys).length >= 2, 'the WAL files exist while open');
  signal.close();

  const gatewayPath = join(dir, 'gateway.db');
  const gateway = openDatabase(gatewayPath);
  for (const file of dbFiles(gatewayPath)) assert.equal(mode(file), 0o600, file);
  gateway.close();
});

test('at rest: a database file left 0644 by an older version is narrowed to 0600 when opened', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'at-rest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'bridge.db');
  SqliteBridgeStore.open(path).close();
  const { chmodSync } = await import('node:fs');
  chmodSync(path, 0o644);
  const store = SqliteBridgeStore.open(path);
  for (const file of dbFiles(path)) assert.equal(statSync(file).mode & 0o777, 0o600, file);
  store.close();
});
