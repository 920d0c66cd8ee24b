/**
 * Opens (or adopts) the SQLite database that holds Signal keys and hands out per-account
 * store sets. One database, keyed by local account: the bridge holds many linked numbers
 * in the connector's own database file (src/connectors/storage.ts); a simulated user opens its own file.
 */
import Database from 'better-sqlite3';
import { openPrivateDatabase } from '../../sqlite/private-file';
import { ACCOUNT_TABLES, migrateSignalDatabase } from './migrations';
import { PlaintextSecretBox, type SecretBox } from './secret-box';
import { GroupCommit } from './group-commit';
import { StagedWrites } from './staged-writes';
import { AUTOCOMMIT, SqliteIdentityStore, SqliteLocalAccountStore, type WriteGate } from './sqlite-identity-store';
import {
  SqliteKyberPreKeyStore,
  SqlitePendingPlaintextStore,
  SqlitePreKeyStore,
  SqliteSessionStore,
  SqliteSignedPreKeyStore,
} from './sqlite-key-stores';
import type { SignalAccountStores } from './stores';
import { SqliteGroupKeyStateStore, SqliteSenderKeyStore } from './sqlite-group-stores';

export interface SignalDatabaseOptions {
  /**
   * Group the writes of each event-loop turn into one transaction (see group-commit.ts).
   * Default: on for a database opened here, off for a handle shared with the caller, whose
   * own writes would otherwise be swept into the same transaction.
   */
  groupCommit?: boolean;
}

export class SignalDatabase {
  private readonly ownsHandle: boolean;
  private readonly gate: WriteGate;
  private readonly groupCommit: GroupCommit | undefined;
  readonly db: Database.Database;

  /** `file` is a path (opened and owned here) or an open handle (shared with the caller). */
  constructor(file: string | Database.Database, options: SignalDatabaseOptions = {}) {
    if (typeof file === 'string') {
      // identity and session keys: readable by this user only, deleted keys overwritten
      // WAL + NORMAL: a power loss may drop the last commits but never corrupts; sessions
      // written just before a crash are re-established by the peer's prekey message.
      this.db = openPrivateDatabase(file, { synchronous: 'normal' });
      this.ownsHandle = true;
    } else {
      this.db = file;
      this.ownsHandle = false;
    }
    migrateSignalDatabase(this.db);
    if (options.groupCommit ?? this.ownsHandle) {
      this.groupCommit = new GroupCommit(this.db);
      this.gate = this.groupCommit;
    } else {
      this.gate = AUTOCOMMIT;
    }
  }

  forAccount(account: string, box: SecretBox = new PlaintextSecretBox()): SignalAccountStores {
    const gate = this.gate;
    const local = new SqliteLocalAccountStore(this.db, account, box, gate);
    return {
      account,
      local,
      identity: new SqliteIdentityStore(this.db, account, local, gate),
      session: new SqliteSessionStore(this.db, account, box, gate),
      preKey: new SqlitePreKeyStore(this.db, account, box, gate),
      signedPreKey: new SqliteSignedPreKeyStore(this.db, account, box, gate),
      kyberPreKey: new SqliteKyberPreKeyStore(this.db, account, box, gate),
      pending: new SqlitePendingPlaintextStore(this.db, account, box, gate),
      senderKey: new SqliteSenderKeyStore(this.db, account, box, gate),
      groups: new SqliteGroupKeyStateStore(this.db, account, gate),
      decryption: () => {
        const staged = new StagedWrites(this.db, gate);
        return {
          session: new SqliteSessionStore(this.db, account, box, staged),
          preKey: new SqlitePreKeyStore(this.db, account, box, staged),
          kyberPreKey: new SqliteKyberPreKeyStore(this.db, account, box, staged),
          senderKey: new SqliteSenderKeyStore(this.db, account, box, staged),
          pending: new SqlitePendingPlaintextStore(this.db, account, box, staged),
          commit: () => staged.commit(),
        };
      },
    };
  }

  /** Deletes every record held for `account`, in one transaction; the count per table. */
  deleteAccount(account: string): Record<(typeof ACCOUNT_TABLES)[number], number> {
    this.flush();
    return this.db.transaction(() => {
      const counts = {} as Record<(typeof ACCOUNT_TABLES)[number], number>;
      for (const table of ACCOUNT_TABLES) counts[table] = this.db.prepare(`DELETE FROM ${table} WHERE account = ?`).run(account).changes;
      return counts;
    })();
  }

  /** Commits what this turn wrote so far (for tests and orderly shutdown). */
  flush(): void {
    this.groupCommit?.commit();
  }

  close(): void {
    this.groupCommit?.close();
    if (this.ownsHandle && this.db.open) this.db.close();
  }
}
