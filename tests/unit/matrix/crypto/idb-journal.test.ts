// The write-through journal: every committed IndexedDB change (put, add, delete by key and by
// range, clear, cursor update and delete, schema changes) is on disk when the transaction
// completes, an aborted transaction leaves nothing, and a fresh factory replayed from the
// file holds exactly what the live one held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fake from 'fake-indexeddb';
import { CryptoStoreFile } from '../../../../src/matrix/crypto/journal-file';
import { DurableIdb } from '../../../../src/matrix/crypto/durable-idb';
import { snapshot } from '../../../../src/matrix/crypto/idb-replay';
import { PlaintextSecretBox, SodiumSecretBox } from '../../../../src/interop-client/signal/secret-box';
import type { IdbDatabaseLike, IdbFactoryLike, IdbRequestLike, IdbTransactionLike } from '../../../../src/matrix/crypto/idb-types';

function req<T>(r: IdbRequestLike<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error as Error);
  });
}

function done(tx: IdbTransactionLike): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.addEventListener('complete', () => resolve());
    tx.addEventListener('abort', () => reject(new Error('aborted')));
  });
}

async function openDb(factory: IdbFactoryLike, version: number, upgrade: (db: IdbDatabaseLike, tx: IdbTransactionLike) => void): Promise<IdbDatabaseLike> {
  const r = factory.open('db', version);
  r.onupgradeneeded = () => upgrade(r.result, r.transaction as IdbTransactionLike);
  return req(r);
}

async function contents(factory: IdbFactoryLike): Promise<unknown> {
  return (await snapshot(factory, ['db'])).map((tx) => ({
    ...tx, ops: tx.ops.map((op) => (op.op === 'put' ? { ...op, value: [...op.value] } : op)),
  }));
}

function withFile(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'idb-journal-'));
  return fn(join(dir, 'crypto.db')).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('every kind of committed change survives a reopen from the file; aborted ones do not', () => withFile(async (path) => {
  const file = new CryptoStoreFile(path, new PlaintextSecretBox());
  const live = await DurableIdb.open(file.journal('device-a'));
  const db = await openDb(live.factory, 1, (d) => {
    const store = d.createObjectStore('items', { keyPath: null, autoIncrement: false });
    store.createIndex('byName', 'name', { unique: false, multiEntry: false });
    d.createObjectStore('doomed', { keyPath: null, autoIncrement: false });
  });

  let tx = db.transaction(['items'], 'readwrite');
  const items = tx.objectStore('items');
  for (let i = 0; i < 6; i++) items.put({ name: `n${i}`, bytes: new Uint8Array([i, 255]) }, `k${i}`);
  (items as unknown as { add(v: unknown, k: unknown): unknown }).add({ name: 'added' }, ['array', 'key']);
  items.delete('k0');
  items.delete((fake.IDBKeyRange as unknown as { bound(a: string, b: string): unknown }).bound('k4', 'k5'));
  await done(tx);

  // cursor update and delete, through the object store and through an index
  tx = db.transaction(['items'], 'readwrite');
  const cursorReq = (tx.objectStore('items') as unknown as { openCursor(): IdbRequestLike<{ key: string; value: { name: string }; update(v: unknown): void; delete(): void; continue(): void } | null> }).openCursor();
  cursorReq.onsuccess = () => {
    const cursor = cursorReq.result;
    if (!cursor) return;
    if (cursor.key === 'k1') cursor.update({ ...cursor.value, name: 'updated' });
    if (cursor.key === 'k2') cursor.delete();
    cursor.continue();
  };
  await done(tx);

  // an aborted transaction: its put must not reach the journal
  tx = db.transaction(['items'], 'readwrite');
  tx.objectStore('items').put({ name: 'never' }, 'aborted');
  (tx as unknown as { abort(): void }).abort();
  await done(tx).catch(() => undefined);
  db.close();

  // a second version: an index and a store go away, a store is cleared
  const db2 = await openDb(live.factory, 2, (d, upgradeTx) => {
    upgradeTx.objectStore('items').deleteIndex('byName');
    d.deleteObjectStore('doomed');
    d.createObjectStore('cleared', { keyPath: null, autoIncrement: false }).put('x', 1);
  });
  tx = db2.transaction(['cleared'], 'readwrite');
  tx.objectStore('cleared').clear();
  await done(tx);
  db2.close();

  const expected = await contents(live.factory);
  const keys = ((expected as { ops: { op: string; key?: unknown }[] }[])[0].ops).filter((op) => op.op === 'put').map((op) => op.key);
  assert.deepEqual(keys, ['k1', 'k3', ['array', 'key']], 'the live store holds what the operations left');
  file.close();

  const reopenedFile = new CryptoStoreFile(path, new PlaintextSecretBox());
  const reopened = await DurableIdb.open(reopenedFile.journal('device-a'));
  assert.deepEqual(await contents(reopened.factory), expected);
  assert.equal(reopenedFile.journal('device-a').rowCount(), 1, 'reopening compacted the journal into one snapshot row');
  const other = await DurableIdb.open(reopenedFile.journal('device-b'));
  assert.deepEqual(await snapshot(other.factory, []), [], 'another namespace sees none of it');
  reopenedFile.close();
}));

test('journal rows are sealed: the wrong secret cannot open them', () => withFile(async (path) => {
  const file = new CryptoStoreFile(path, await SodiumSecretBox.fromSecret('a-key-at-rest-secret-0123456789'));
  const live = await DurableIdb.open(file.journal('dev'));
  const db = await openDb(live.factory, 1, (d) => { d.createObjectStore('s', { keyPath: null, autoIncrement: false }).put('secret-value', 'k'); });
  db.close();
  file.close();
  const wrong = new CryptoStoreFile(path, await SodiumSecretBox.fromSecret('another-secret-entirely-0123456'));
  await assert.rejects(DurableIdb.open(wrong.journal('dev')), /wrong key-at-rest secret/);
  wrong.close();
}));

test('a failed journal write refuses every later write instead of running ahead of the disk', () => withFile(async (path) => {
  const file = new CryptoStoreFile(path, new PlaintextSecretBox());
  const live = await DurableIdb.open(file.journal('dev'));
  const db = await openDb(live.factory, 1, (d) => { d.createObjectStore('s', { keyPath: null, autoIncrement: false }); });
  file.close(); // the next commit's INSERT now throws
  const tx = db.transaction(['s'], 'readwrite');
  tx.objectStore('s').put('v', 'k');
  await done(tx);
  assert.match(String(live.failure), /journal write failed/);
  assert.throws(() => db.transaction(['s'], 'readwrite').objectStore('s').put('w', 'k2'), /must be reopened/);
  db.close();
}));
