/**
 * Rebuilds IndexedDB databases in a fresh fake-indexeddb factory from journaled transactions,
 * and reads them back as a compact snapshot (one upgrade transaction per database that
 * creates its stores and indexes and puts every record). Runs on a factory with no journal
 * attached, so nothing here is journaled again.
 */
import { deserialize, serialize } from 'node:v8';
import * as fake from 'fake-indexeddb';
import type { CommittedTransaction, JournalOp, KeyQuery } from './idb-journal';
import type { IdbDatabaseLike, IdbFactoryLike, IdbRequestLike, IdbStoreLike, IdbTransactionLike } from './idb-types';

function request<T>(req: IdbRequestLike<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error as Error);
  });
}

function finished(tx: IdbTransactionLike): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.addEventListener('complete', () => resolve());
    tx.addEventListener('abort', () => reject((tx.error as Error | null) ?? new Error('replay transaction aborted')));
  });
}

const keyRange = fake.IDBKeyRange as unknown as {
  only(key: unknown): unknown;
  bound(lower: unknown, upper: unknown, lowerOpen: boolean, upperOpen: boolean): unknown;
  lowerBound(lower: unknown, open: boolean): unknown;
  upperBound(upper: unknown, open: boolean): unknown;
};

function toQuery(query: KeyQuery): unknown {
  if ('key' in query) return query.key;
  if (query.lower !== undefined && query.upper !== undefined) {
    return keyRange.bound(query.lower, query.upper, query.lowerOpen, query.upperOpen);
  }
  if (query.lower !== undefined) return keyRange.lowerBound(query.lower, query.lowerOpen);
  return keyRange.upperBound(query.upper, query.upperOpen);
}

/** Applies data and schema ops in order; schema ops only occur in an upgrade transaction. */
function apply(tx: IdbTransactionLike, db: IdbDatabaseLike, ops: JournalOp[]): void {
  for (const op of ops) {
    switch (op.op) {
      case 'put': {
        const store = tx.objectStore(op.store);
        const value = deserialize(op.value) as unknown;
        if (store.keyPath === null) store.put(value, op.key);
        else store.put(value);
        break;
      }
      case 'delete': tx.objectStore(op.store).delete(toQuery(op.query)); break;
      case 'clear': tx.objectStore(op.store).clear(); break;
      case 'createStore': db.createObjectStore(op.store, { keyPath: op.keyPath, autoIncrement: op.autoIncrement }); break;
      case 'deleteStore': db.deleteObjectStore(op.store); break;
      case 'createIndex':
        tx.objectStore(op.store).createIndex(op.index, op.keyPath, { unique: op.unique, multiEntry: op.multiEntry });
        break;
      case 'deleteIndex': tx.objectStore(op.store).deleteIndex(op.index); break;
    }
  }
}

function storesTouched(ops: JournalOp[]): string[] {
  return [...new Set(ops.map((op) => op.store))];
}

async function openAt(factory: IdbFactoryLike, name: string, version: number, ops: JournalOp[]): Promise<IdbDatabaseLike> {
  const req = factory.open(name, version);
  let upgrade: Promise<void> | undefined;
  req.onupgradeneeded = () => {
    const tx = req.transaction as IdbTransactionLike;
    upgrade = finished(tx);
    apply(tx, req.result, ops);
  };
  const db = await request(req);
  if (!upgrade) throw new Error(`crypto store journal: ${name} was already at version ${version}`);
  await upgrade;
  return db;
}

/** Replays `transactions` (in commit order) into `factory`, which must be empty. */
export async function replay(factory: IdbFactoryLike, transactions: CommittedTransaction[]): Promise<void> {
  const open = new Map<string, IdbDatabaseLike>();
  try {
    for (const tx of transactions) {
      if (tx.version !== null) {
        open.get(tx.database)?.close();
        open.set(tx.database, await openAt(factory, tx.database, tx.version, tx.ops));
        continue;
      }
      const db = open.get(tx.database);
      if (!db) throw new Error(`crypto store journal: a transaction on ${tx.database} precedes its creation`);
      const idbTx = db.transaction(storesTouched(tx.ops), 'readwrite');
      const done = finished(idbTx);
      apply(idbTx, db, tx.ops);
      await done;
    }
  } finally {
    for (const db of open.values()) db.close();
  }
}

async function snapshotDatabase(factory: IdbFactoryLike, name: string): Promise<CommittedTransaction> {
  const db = await request(factory.open(name));
  try {
    const ops: JournalOp[] = [];
    const storeNames = Array.from(db.objectStoreNames);
    if (storeNames.length === 0) return { database: name, version: db.version, ops };
    const tx = db.transaction(storeNames, 'readonly');
    const done = finished(tx);
    // every read is issued before the first await: a transaction with no pending request commits
    const reads = storeNames.map((storeName) => {
      const store: IdbStoreLike = tx.objectStore(storeName);
      return { store, records: Promise.all([request(store.getAllKeys()), request(store.getAll())]) };
    });
    for (const { store, records } of reads) {
      ops.push({ op: 'createStore', store: store.name, keyPath: store.keyPath, autoIncrement: store.autoIncrement });
      for (const indexName of Array.from(store.indexNames)) {
        const index = store.index(indexName);
        ops.push({ op: 'createIndex', store: store.name, index: indexName, keyPath: index.keyPath, unique: index.unique, multiEntry: index.multiEntry });
      }
      const [keys, values] = await records;
      keys.forEach((key, i) => ops.push({ op: 'put', store: store.name, key, value: serialize(values[i]) }));
    }
    await done;
    return { database: name, version: db.version, ops };
  } finally {
    db.close();
  }
}

/** The current content of the named databases, as one upgrade transaction each. */
export async function snapshot(factory: IdbFactoryLike, names: string[]): Promise<CommittedTransaction[]> {
  const out: CommittedTransaction[] = [];
  for (const name of names) out.push(await snapshotDatabase(factory, name));
  return out;
}
