/**
 * Write-through journal for fake-indexeddb. The Matrix crypto library (crypto-wasm) keeps its
 * device state in IndexedDB; in Node that is fake-indexeddb, which lives in memory. A snapshot
 * on exit would lose one-time keys and ratchet steps on a crash, so every committed IndexedDB
 * transaction is handed, synchronously and before any code awaiting it resumes, to a sink that
 * writes it durably (one SQLite transaction each, see journal-file.ts). The hooks wrap the
 * public IndexedDB methods that change data or schema: put, add, delete, clear, cursor update
 * and delete, create/delete object store and index. They only record for factories that were
 * given a sink, so a factory being replayed (or anyone else's) is left alone.
 */
import { serialize } from 'node:v8';
import * as fake from 'fake-indexeddb';
import type { IdbKeyRangeLike, IdbStoreLike, IdbTransactionLike } from './idb-types';

/** A key or a key range, as given to IDBObjectStore.delete(). */
export type KeyQuery =
  | { key: unknown }
  | { lower: unknown; upper: unknown; lowerOpen: boolean; upperOpen: boolean };

export type JournalOp =
  /** value is the v8-serialized value, taken when put was called (IndexedDB clones it then too). */
  | { op: 'put'; store: string; key: unknown; value: Buffer }
  | { op: 'delete'; store: string; query: KeyQuery }
  | { op: 'clear'; store: string }
  | { op: 'createStore'; store: string; keyPath: string | string[] | null; autoIncrement: boolean }
  | { op: 'deleteStore'; store: string }
  | { op: 'createIndex'; store: string; index: string; keyPath: string | string[]; unique: boolean; multiEntry: boolean }
  | { op: 'deleteIndex'; store: string; index: string };

/** One committed IndexedDB transaction; `version` is set for a versionchange (upgrade) transaction. */
export interface CommittedTransaction {
  database: string;
  version: number | null;
  ops: JournalOp[];
}

/** Where committed transactions go. Both calls must be durable when they return. */
export interface JournalSink {
  commit(tx: CommittedTransaction): void;
  dropDatabase(database: string): void;
}

/** Thrown by every write of a factory whose sink once failed: memory is then ahead of disk. */
export class JournalBrokenError extends Error {
  constructor(cause: unknown) {
    super(`crypto store journal write failed; this crypto store must be reopened: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'JournalBrokenError';
  }
}

interface Recorder {
  sink: JournalSink;
  broken?: JournalBrokenError;
}

const recorderOfFactory = new WeakMap<object, Recorder>();
const recorderOfDatabase = new WeakMap<object, Recorder>();
const upgradeVersionOf = new WeakMap<object, number>();
const pendingOps = new WeakMap<object, JournalOp[]>();

/** Starts recording the writes of databases opened from `factory` from now on. */
export function attachJournal(factory: object, sink: JournalSink): void {
  installHooks();
  recorderOfFactory.set(factory, { sink });
}

/** The error that broke this factory's journal, if any. */
export function journalFailure(factory: object): JournalBrokenError | undefined {
  return recorderOfFactory.get(factory)?.broken;
}

/** The op list of `tx` when its database is journaled; registers the commit once per transaction. */
function opsOf(tx: IdbTransactionLike): JournalOp[] | undefined {
  const recorder = recorderOfDatabase.get(tx.db);
  if (!recorder) return undefined;
  if (recorder.broken) throw recorder.broken;
  let ops = pendingOps.get(tx);
  if (ops) return ops;
  const list: JournalOp[] = [];
  pendingOps.set(tx, list);
  tx.addEventListener('complete', () => {
    pendingOps.delete(tx);
    const version = upgradeVersionOf.get(tx) ?? null;
    if (list.length === 0 && version === null) return;
    try {
      recorder.sink.commit({ database: tx.db.name, version, ops: list });
    } catch (error) {
      // the in-memory database already committed; refuse every further write so the
      // owner notices and reopens from disk instead of running ahead of it
      recorder.broken = new JournalBrokenError(error);
    }
  });
  tx.addEventListener('abort', () => pendingOps.delete(tx));
  ops = list;
  return ops;
}

function keyQuery(query: unknown): KeyQuery {
  if (query instanceof fake.IDBKeyRange) {
    const range = query as unknown as IdbKeyRangeLike;
    return { lower: range.lower, upper: range.upper, lowerOpen: range.lowerOpen, upperOpen: range.upperOpen };
  }
  return { key: query };
}

/** Records `op` once `request` succeeded (a failed request changed nothing). */
function onSuccess(request: { addEventListener(type: string, fn: () => void): void }, ops: JournalOp[], op: () => JournalOp): void {
  request.addEventListener('success', () => ops.push(op()));
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

function wrap(proto: object, name: string, after: (self: never, result: never, args: unknown[]) => void): void {
  const original = (proto as Record<string, Method>)[name];
  (proto as Record<string, Method>)[name] = function (this: unknown, ...args: unknown[]) {
    const result = original.apply(this, args);
    after(this as never, result as never, args);
    return result;
  };
}

let installed = false;

function installHooks(): void {
  if (installed) return;
  installed = true;
  const storeProto = fake.IDBObjectStore.prototype;
  const putLike = (self: IdbStoreLike, request: { result: unknown; addEventListener(t: string, f: () => void): void }, args: unknown[]) => {
    const ops = opsOf(self.transaction);
    if (!ops) return;
    const value = serialize(args[0]);
    const store = self.name;
    onSuccess(request, ops, () => ({ op: 'put', store, key: request.result, value }));
  };
  wrap(storeProto, 'put', putLike);
  wrap(storeProto, 'add', putLike);
  wrap(storeProto, 'delete', (self: IdbStoreLike, request: never, args) => {
    const ops = opsOf(self.transaction);
    if (ops) onSuccess(request, ops, () => ({ op: 'delete', store: self.name, query: keyQuery(args[0]) }));
  });
  wrap(storeProto, 'clear', (self: IdbStoreLike, request: never) => {
    const ops = opsOf(self.transaction);
    if (ops) onSuccess(request, ops, () => ({ op: 'clear', store: self.name }));
  });
  wrap(storeProto, 'createIndex', (self: IdbStoreLike, _index: never, args) => {
    const options = (args[2] ?? {}) as { unique?: boolean; multiEntry?: boolean };
    opsOf(self.transaction)?.push({
      op: 'createIndex', store: self.name, index: String(args[0]), keyPath: args[1] as string | string[],
      unique: options.unique ?? false, multiEntry: options.multiEntry ?? false,
    });
  });
  wrap(storeProto, 'deleteIndex', (self: IdbStoreLike, _r: never, args) => {
    opsOf(self.transaction)?.push({ op: 'deleteIndex', store: self.name, index: String(args[0]) });
  });

  const cursorProto = fake.IDBCursor.prototype;
  const storeOfCursor = (cursor: { source: IdbStoreLike | { objectStore: IdbStoreLike } }): IdbStoreLike =>
    'objectStore' in cursor.source ? cursor.source.objectStore : cursor.source;
  wrap(cursorProto, 'update', (self: { source: IdbStoreLike; primaryKey: unknown }, request: never, args) => {
    const store = storeOfCursor(self);
    const ops = opsOf(store.transaction);
    if (!ops) return;
    const value = serialize(args[0]);
    const key = self.primaryKey;
    onSuccess(request, ops, () => ({ op: 'put', store: store.name, key, value }));
  });
  wrap(cursorProto, 'delete', (self: { source: IdbStoreLike; primaryKey: unknown }, request: never) => {
    const store = storeOfCursor(self);
    const ops = opsOf(store.transaction);
    const key = self.primaryKey;
    if (ops) onSuccess(request, ops, () => ({ op: 'delete', store: store.name, query: { key } }));
  });

  const dbProto = fake.IDBDatabase.prototype;
  wrap(dbProto, 'createObjectStore', (_db: never, store: IdbStoreLike, args) => {
    const options = (args[1] ?? {}) as { keyPath?: string | string[] | null; autoIncrement?: boolean };
    opsOf(store.transaction)?.push({
      op: 'createStore', store: String(args[0]), keyPath: options.keyPath ?? null, autoIncrement: options.autoIncrement ?? false,
    });
  });
  // deleteObjectStore returns nothing; the upgrade transaction is found through the open request
  wrap(dbProto, 'deleteObjectStore', (db: object, _r: never, args) => {
    const tx = upgradeTransactionOf.get(db);
    if (tx) opsOf(tx)?.push({ op: 'deleteStore', store: String(args[0]) });
  });

  const factoryProto = fake.IDBFactory.prototype;
  wrap(factoryProto, 'open', (factory: object, request: OpenRequestLike) => {
    const recorder = recorderOfFactory.get(factory);
    if (!recorder) return;
    request.addEventListener('upgradeneeded', (event: unknown) => {
      const tx = request.transaction as IdbTransactionLike;
      recorderOfDatabase.set(request.result, recorder);
      upgradeTransactionOf.set(request.result, tx);
      upgradeVersionOf.set(tx, (event as { newVersion: number }).newVersion);
      opsOf(tx);
    });
    request.addEventListener('success', () => recorderOfDatabase.set(request.result, recorder));
  });
  wrap(factoryProto, 'deleteDatabase', (factory: object, request: OpenRequestLike, args) => {
    const recorder = recorderOfFactory.get(factory);
    if (!recorder) return;
    request.addEventListener('success', () => {
      try {
        recorder.sink.dropDatabase(String(args[0]));
      } catch (error) {
        recorder.broken = new JournalBrokenError(error);
      }
    });
  });
}

const upgradeTransactionOf = new WeakMap<object, IdbTransactionLike>();

interface OpenRequestLike {
  result: object;
  transaction: unknown;
  addEventListener(type: string, fn: (event: unknown) => void): void;
}
