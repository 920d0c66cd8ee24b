/**
 * The Signal key store of the bridge's logins: the tables of the interop client library,
 * kept in the bridge's own database, one account per Matrix user, private keys sealed at
 * rest with libsodium under the key-store secret from the config.
 */
import type Database from 'better-sqlite3';
import { SignalDatabase } from '../../interop-client/signal/sqlite-database';
import { SodiumSecretBox, type SecretBox } from '../../interop-client/signal/secret-box';
import type { SignalAccountStores } from '../../interop-client/signal/stores';

export class BridgeKeyStore {
  private constructor(
    private readonly signal: SignalDatabase,
    private readonly box: SecretBox,
  ) {}

  static async open(db: Database.Database, secret: string | undefined): Promise<BridgeKeyStore> {
    if (!secret) {
      throw new Error(
        'security.key_store_secret (or key_store_secret_file, or INTEROP_KEY_STORE_SECRET) is required: ' +
          'it encrypts the Signal keys the bridge holds for its users',
      );
    }
    return new BridgeKeyStore(new SignalDatabase(db), await SodiumSecretBox.fromSecret(secret));
  }

  /** seals text under the same key-store secret, for what core keeps of messages at rest */
  async sealer(): Promise<{ seal(text: string): string; open(sealed: string): string }> {
    const box = this.box;
    return {
      seal: (text) => Buffer.from(box.seal(new TextEncoder().encode(text))).toString('base64'),
      open: (sealed) => new TextDecoder().decode(box.open(new Uint8Array(Buffer.from(sealed, 'base64')))),
    };
  }

  forAccount(account: string): SignalAccountStores {
    return this.signal.forAccount(account, this.box);
  }

  /** Deletes every key, session and identity held for `account`; returns what was deleted. */
  deleteAccount(account: string): { sessions: number; preKeys: number; identities: number; other: number } {
    const db = this.signal.db;
    const tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'signal\\_%' ESCAPE '\\'")
      .all()
      .map((t) => t.name)
      .filter((name) => db.prepare(`PRAGMA table_info(${name})`).all().some((c) => (c as { name: string }).name === 'account'));
    const counts = { sessions: 0, preKeys: 0, identities: 0, other: 0 };
    db.transaction(() => {
      for (const table of tables) {
        const n = db.prepare(`DELETE FROM ${table} WHERE account = ?`).run(account).changes;
        if (table === 'signal_sessions') counts.sessions += n;
        else if (table.endsWith('prekeys')) counts.preKeys += n;
        else if (table === 'signal_remote_identities' || table === 'signal_local_accounts') counts.identities += n;
        else counts.other += n;
      }
    })();
    return counts;
  }
}
