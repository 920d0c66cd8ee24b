/**
 * The Signal key store of the bridge's logins: the tables of the interop client library, in
 * the connector's own database (ConnectorStorage), one account per Matrix user, private keys
 * sealed at rest by the box the composition hands the connector.
 */
import type Database from 'better-sqlite3';
import { SignalDatabase } from '../../interop-client/signal/sqlite-database';
import type { SecretBox } from '../../interop-client/signal/secret-box';
import type { SignalAccountStores } from '../../interop-client/signal/stores';

export class BridgeKeyStore {
  private readonly signal: SignalDatabase;

  constructor(database: Database.Database, private readonly box: SecretBox) {
    // autocommit, as when the store shared the bridge's handle: every key write is durable
    // before anything that depends on it is sent
    this.signal = new SignalDatabase(database, { groupCommit: false });
  }

  forAccount(account: string): SignalAccountStores {
    return this.signal.forAccount(account, this.box);
  }

  /** Deletes every key, session and identity held for `account`; returns what was deleted. */
  deleteAccount(account: string): { sessions: number; preKeys: number; identities: number; other: number } {
    const n = this.signal.deleteAccount(account);
    const preKeys = n.signal_prekeys + n.signal_signed_prekeys + n.signal_kyber_prekeys;
    const identities = n.signal_local_accounts + n.signal_remote_identities;
    const total = Object.values(n).reduce((a, b) => a + b, 0);
    return { sessions: n.signal_sessions, preKeys, identities, other: total - n.signal_sessions - preKeys - identities };
  }
}
