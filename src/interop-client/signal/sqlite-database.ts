/**
 * Opens (or adopts) the SQLite database that holds Signal keys and hands out per-account
 * store sets. One database, keyed by local account: the bridge holds many linked numbers
 * and may keep them in its main database; a simulated user simply opens its own file.
 */
import Database from 'better-sqlite3';
import { migrateSignalDatabase } from './migrations';
import { PlaintextSecretBox, type SecretBox } from './secret-box';
import { SqliteIdentityStore, SqliteLocalAccountStore } from './sqlite-identity-store';
import {
  SqliteKyberPreKeyStore,
  SqlitePendingPlaintextStore,
  SqlitePreKeyStore,
  SqliteSessionStore,
  SqliteSignedPreKeyStore,
} from './sqlite-key-stores';
import type { SignalAccountStores } from './stores';

export class SignalDatabase {
  private readonly ownsHandle: boolean;
  readonly db: Database.Database;

  /** `file` is a path (opened and owned here) or an open handle (shared with the caller). */
  constructor(file: string | Database.Database) {
    if (typeof file === 'string') {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      // WAL + NORMAL: a power loss may drop the last commits but never corrupts; sessions
      // written just before a crash are re-established by the peer's prekey message.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.ownsHandle = true;
    } else {
      this.db = file;
      this.ownsHandle = false;
    }
    migrateSignalDatabase(this.db);
  }

  forAccount(account: string, box: SecretBox = new PlaintextSecretBox()): SignalAccountStores {
    const local = new SqliteLocalAccountStore(this.db, account, box);
    return {
      account,
      local,
      identity: new SqliteIdentityStore(this.db, account, local),
      session: new SqliteSessionStore(this.db, account, box),
      preKey: new SqlitePreKeyStore(this.db, account, box),
      signedPreKey: new SqliteSignedPreKeyStore(this.db, account, box),
      kyberPreKey: new SqliteKyberPreKeyStore(this.db, account, box),
      pending: new SqlitePendingPlaintextStore(this.db, account, box),
    };
  }

  close(): void {
    if (this.ownsHandle && this.db.open) this.db.close();
  }
}
