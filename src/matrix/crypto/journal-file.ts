/**
 * The durable half of the crypto store: its own SQLite file (kept apart from the bridge's
 * database so the bridge's migrations stay untouched, and so an operator can see which file
 * holds the Matrix device keys). Every committed IndexedDB transaction of a device becomes one
 * row, written in one SQLite transaction, sealed with the key-at-rest secret; opening a device
 * replays its rows in order. Rows are namespaced per device, and a device's rows are replaced
 * by a snapshot of its state on open and close so the journal does not grow without bound.
 */
import Database from 'better-sqlite3';
import { deserialize, serialize } from 'node:v8';
import { migrate, type Migration } from '../../sqlite/migrate';
import { openPrivateDatabase } from '../../sqlite/private-file';
import type { SecretBox } from '../../interop-client/signal/secret-box';
import type { CommittedTransaction, JournalSink } from './idb-journal';

const MIGRATIONS: Migration[] = [{
  version: 1,
  name: 'journal, devices, cross-signing vault',
  sql: `
    CREATE TABLE idb_journal (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      namespace TEXT NOT NULL,
      db_name TEXT NOT NULL,
      sealed BLOB NOT NULL
    );
    CREATE INDEX idb_journal_by_namespace ON idb_journal (namespace, seq);
    CREATE TABLE crypto_devices (
      user_id TEXT PRIMARY KEY,
      device_id TEXT NOT NULL,
      created_on_server INTEGER NOT NULL DEFAULT 0,
      cross_signing_published INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE cross_signing_vault (
      user_id TEXT PRIMARY KEY,
      sealed BLOB NOT NULL
    );
  `,
}];

export class CryptoStoreFile {
  readonly db: Database.Database;

  constructor(path: string, readonly box: SecretBox) {
    // as for the Signal key store: a process crash loses nothing (the WAL is in the OS);
    // a power loss may drop the last commits but never corrupts the file
    this.db = openPrivateDatabase(path, { synchronous: 'normal' });
    migrate(this.db, MIGRATIONS, undefined, 'crypto store');
  }

  journal(namespace: string): NamespaceJournal {
    return new NamespaceJournal(this, namespace);
  }

  close(): void {
    this.db.close();
  }
}

/** One device's rows: the sink the IndexedDB hooks write to, and what its replay reads. */
export class NamespaceJournal implements JournalSink {
  private readonly insert: Database.Statement;
  /** Rows written since this journal was last loaded or compacted: what a reopen would replay. */
  rowsSinceCompaction = 0;

  constructor(private readonly file: CryptoStoreFile, readonly namespace: string) {
    this.insert = file.db.prepare('INSERT INTO idb_journal (namespace, db_name, sealed) VALUES (?, ?, ?)');
  }

  commit(tx: CommittedTransaction): void {
    this.insert.run(this.namespace, tx.database, this.seal(tx));
    this.rowsSinceCompaction++;
  }

  dropDatabase(database: string): void {
    this.file.db.prepare('DELETE FROM idb_journal WHERE namespace = ? AND db_name = ?').run(this.namespace, database);
  }

  /** Every committed transaction of this namespace, oldest first, and the last row's seq. */
  load(): { transactions: CommittedTransaction[]; lastSeq: number } {
    const rows = this.file.db
      .prepare('SELECT seq, sealed FROM idb_journal WHERE namespace = ? ORDER BY seq')
      .all(this.namespace) as { seq: number; sealed: Buffer }[];
    this.rowsSinceCompaction = 0;
    return {
      transactions: rows.map((row) => this.open(row.sealed)),
      lastSeq: rows.at(-1)?.seq ?? 0,
    };
  }

  /** Replaces rows up to `lastSeq` with `snapshot`, in one SQLite transaction. */
  compact(snapshot: CommittedTransaction[], lastSeq: number): void {
    this.file.db.transaction(() => {
      this.file.db.prepare('DELETE FROM idb_journal WHERE namespace = ? AND seq <= ?').run(this.namespace, lastSeq);
      for (const tx of snapshot) this.commit(tx);
    })();
    this.rowsSinceCompaction = 0;
  }

  /** How many rows this namespace holds (for compaction decisions and tests). */
  rowCount(): number {
    return (this.file.db.prepare('SELECT count(*) AS n FROM idb_journal WHERE namespace = ?').get(this.namespace) as { n: number }).n;
  }

  private seal(tx: CommittedTransaction): Buffer {
    return Buffer.from(this.file.box.seal(serialize(tx)));
  }

  private open(sealed: Buffer): CommittedTransaction {
    return deserialize(this.file.box.open(sealed)) as CommittedTransaction;
  }
}
