/**
 * A device's IndexedDB: a fake-indexeddb factory of its own (so closing the device frees its
 * memory and no device sees another's data), rebuilt from the device's journal rows when it
 * opens and journaled write-through while it is open.
 *
 * crypto-wasm finds IndexedDB as the global `indexedDB` when it opens a store, and keeps the
 * database handle afterwards. The global is therefore pointed at the device's factory only
 * while crypto-wasm opens that device's store (one opening at a time), and at a factory that
 * refuses everything otherwise, so a store opened any other way fails loudly instead of
 * silently landing in memory only.
 */
import * as fake from 'fake-indexeddb';
import { attachJournal, journalFailure, type JournalBrokenError } from './idb-journal';
import { replay, snapshot } from './idb-replay';
import type { IdbFactoryLike } from './idb-types';
import type { NamespaceJournal } from './journal-file';

/** crypto-wasm also needs the IndexedDB classes as globals (instanceof checks, IDBKeyRange.bound). */
function installGlobals(): void {
  const globals = globalThis as Record<string, unknown>;
  const classes: Record<string, unknown> = {
    IDBCursor: fake.IDBCursor, IDBCursorWithValue: fake.IDBCursorWithValue, IDBDatabase: fake.IDBDatabase,
    IDBFactory: fake.IDBFactory, IDBIndex: fake.IDBIndex, IDBKeyRange: fake.IDBKeyRange,
    IDBObjectStore: fake.IDBObjectStore, IDBOpenDBRequest: fake.IDBOpenDBRequest, IDBRequest: fake.IDBRequest,
    IDBTransaction: fake.IDBTransaction, IDBVersionChangeEvent: fake.IDBVersionChangeEvent,
  };
  for (const [name, value] of Object.entries(classes)) globals[name] ??= value;
  if (!Object.getOwnPropertyDescriptor(globalThis, 'indexedDB')?.get) {
    Object.defineProperty(globalThis, 'indexedDB', {
      configurable: true,
      get: () => {
        if (!current) throw new Error('crypto store: IndexedDB used outside a device opening (use DurableIdb.openWith)');
        return current;
      },
    });
  }
}

let current: IdbFactoryLike | undefined;
let openings: Promise<unknown> = Promise.resolve();

export class DurableIdb {
  private closed = false;

  private constructor(
    readonly factory: IdbFactoryLike,
    private readonly journal: NamespaceJournal,
  ) {}

  /** Rebuilds the device's databases from its journal and compacts the journal to a snapshot. */
  static async open(journal: NamespaceJournal): Promise<DurableIdb> {
    installGlobals();
    const factory = new fake.IDBFactory() as unknown as IdbFactoryLike;
    const { transactions, lastSeq } = journal.load();
    await replay(factory, transactions);
    if (transactions.length > 1) {
      const names = [...new Set(transactions.map((tx) => tx.database))];
      journal.compact(await snapshot(factory, names), lastSeq);
    }
    attachJournal(factory, journal);
    return new DurableIdb(factory, journal);
  }

  /** Runs `open` (a crypto-wasm store opening) with the global indexedDB set to this device's. */
  openWith<T>(open: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('crypto store: device store already closed'));
    const run = openings.then(async () => {
      current = this.factory;
      try {
        return await open();
      } finally {
        current = undefined;
      }
    });
    openings = run.catch(() => undefined);
    return run;
  }

  /** Set once a journal write failed: the device must be closed and reopened from disk. */
  get failure(): JournalBrokenError | undefined {
    return journalFailure(this.factory);
  }

  /** Journal rows written since the last compaction (each is replayed by the next open). */
  get uncompactedRows(): number {
    return this.journal.rowsSinceCompaction;
  }

  /** Compacts the journal into a snapshot (call after the machine using it closed). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.failure) return;
    const { transactions, lastSeq } = this.journal.load();
    if (transactions.length <= 1) return;
    // memory equals disk here: every commit went through the journal, and none failed
    const names = [...new Set(transactions.map((tx) => tx.database))];
    this.journal.compact(await snapshot(this.factory, names), lastSeq);
  }
}
