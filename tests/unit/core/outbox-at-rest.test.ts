// What the user wrote is not readable from the bridge's files: outbox jobs are sealed with
// the key-store sealer, deleted content is zeroed (secure_delete), and after a checkpoint
// neither bridge.db nor its -wal holds a message's marker, nor the sealed form of a job
// that was sent. Every database and key file is created 0600.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoreHarness, unreachable } from '../../helpers/core-harness';
import { fromMatrix, text, waitFor } from '../../helpers/outbox-driver';
import type { E164 } from '../../../src/network/remote-network';
import { SignalDatabase } from '../../../src/interop-client/signal/sqlite-database';
import { openDatabase } from '../../../src/gateway/store/database';
import { SqliteBridgeStore } from '../../../src/store';
import { migrate } from '../../../src/store/sqlite/migrate';
import { migrations } from '../../../src/store/sqlite/migrations';
import Database from 'better-sqlite3';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

const dbFiles = (path: string): string[] => [path, `${path}-wal`, `${path}-shm`].filter((p) => existsSync(p));
const rawContains = (path: string, needle: string): string[] =>
  dbFiles(path).filter((file) => readFileSync(file).includes(Buffer.from(needle, 'utf8')));

test('at rest: outbox messages are sealed while pending and gone from every database file once sent', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const path = h.config.database.path;
  const session = await h.login(ALICE, ALICE_PHONE);
  const { roomId } = await h.core.portals.ensure(ALICE, SAM);
  const marker = `MARKER-${randomBytes(8).toString('hex')}`;
  session.fail('send', Infinity, unreachable);
  for (let i = 0; i < 20; i++) await fromMatrix(h, roomId, ALICE, 'm.room.message', text(`${marker} number ${i} ${'x'.repeat(i * 50)}`));
  await waitFor('retries', () => session.count('send') >= 3);
  assert.deepEqual(rawContains(path, marker), [], 'a pending job is sealed');
  const pending = await h.store.outbox.nextFor(ALICE, SAM);
  const sealed = String(pending?.job.sealed);
  assert.ok(sealed.length > 40);

  session.heal();
  await waitFor('all sent', () => session.sent.length >= 20);
  await h.core.queue.idle();
  assert.equal((await h.store.outbox.portalsWithPending()).length, 0);
  h.store.connection.pragma('wal_checkpoint(TRUNCATE)');
  assert.deepEqual(rawContains(path, marker), []);
  assert.deepEqual(rawContains(path, sealed.slice(0, 40)), [], 'the sealed form of a sent job is zeroed too');
  await h.stop();
  assert.deepEqual(rawContains(path, marker), []);
  assert.deepEqual(rawContains(path, sealed.slice(0, 40)), []);
});

test('at rest: bridge.db and its -wal/-shm, the Signal key store and the gateway database are created 0600', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'at-rest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const old = process.umask(0o022);
  t.after(() => process.umask(old));
  const mode = (file: string) => statSync(file).mode & 0o777;

  const bridge = join(dir, 'bridge.db');
  const store = SqliteBridgeStore.open(bridge);
  await store.users.ensure('@alice:example.org');
  for (const file of [bridge, `${bridge}-wal`, `${bridge}-shm`]) assert.equal(mode(file), 0o600, file);
  await store.close();

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
  await SqliteBridgeStore.open(path).close();
  const { chmodSync } = await import('node:fs');
  chmodSync(path, 0o644);
  const store = SqliteBridgeStore.open(path);
  for (const file of dbFiles(path)) assert.equal(statSync(file).mode & 0o777, 0o600, file);
  await store.close();
});

test('at rest: a database from before the sealed outbox loses the plaintext its old free pages kept', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'at-rest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'bridge.db');
  const marker = `OLD-${randomBytes(8).toString('hex')}`;
  // what an older version left: plaintext jobs, "cleared" by an UPDATE without secure_delete
  const old = new Database(path);
  old.pragma('journal_mode = WAL');
  // the schema as it was before the sealed outbox: every migration before that one
  migrate(old, migrations.slice(0, migrations.findIndex((m) => m.name === 'outbox: when a job was shown as delayed')));
  old.prepare('INSERT INTO users (mxid, created_at) VALUES (?, 0)').run(ALICE);
  old.prepare('INSERT INTO portals (owner, contact, created_at) VALUES (?, ?, 0)').run(ALICE, SAM);
  for (let i = 0; i < 50; i++) {
    old.prepare('INSERT INTO outbox (owner, contact, source_event_id, job, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 0, 0)')
      .run(ALICE, SAM, `$old${i}`, JSON.stringify({ event: { content: { body: `${marker} ${'y'.repeat(400)}` } } }));
  }
  old.prepare("UPDATE outbox SET state = 'sent', job = '{}'").run();
  old.close();
  assert.deepEqual(rawContains(path, marker), [path], 'the old file keeps the bodies (the reported problem)');
  const store = SqliteBridgeStore.open(path);
  assert.deepEqual(rawContains(path, marker), []);
  await store.close();
  assert.deepEqual(rawContains(path, marker), []);
});
