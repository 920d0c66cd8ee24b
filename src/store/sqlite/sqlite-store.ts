/**
 * SQLite implementation of the bridge's repositories (better-sqlite3, WAL, foreign keys).
 * The file is private to the bridge's user (0600) and deleted content is overwritten
 * (secure_delete): what people wrote must not be readable from the file once it is gone.
 */
import Database from 'better-sqlite3';
import type { BotCommandRepository, BridgeStore, TransactionRepository, UserRepository } from '../repositories';
import type {
  ContactRepository, GhostRepository, HeldMessageRepository, LoginRepository, MessageRepository, OutboxRepository,
  PortalRepository, ReactionRepository, UnreadableStreakRepository,
} from '../chat-repositories';
import type { BlockRepository } from '../block-repositories';
import type { ProviderRepository } from '../provider-repositories';
import type { RequestRepository } from '../request-repositories';
import { SqliteUsers } from './users-repo';
import { gated, TransactionGate } from './transaction-gate';
import { SqliteTransaction, type OpenTransaction, type Repositories } from './sqlite-transaction';
import { SqliteGhosts, SqliteLogins } from './login-ghost-repos';
import { SqliteMessages, SqlitePortals, SqliteReactions } from './portal-repos';
import { SqliteOutbox } from './outbox-repo';
import { SqliteBotCommands, SqliteTransactions } from './intake-repos';
import { SqliteBlocks } from './block-repos';
import { SqliteProviders } from './provider-repos';
import { SqliteRequests } from './request-repos';
import { SqliteAwaitingKeys } from './awaiting-key-repo';
import type { AwaitingKeyRepository } from '../awaiting-key-repositories';
import { SqliteContacts, SqliteHeldMessages, SqliteUnreadableStreaks } from './contact-repos';
import { withStatementCache } from '../../sqlite/statement-cache';
import { openPrivateDatabase } from '../../sqlite/private-file';
import { migrate, currentVersion } from './migrate';
import { migrations } from './migrations';

/** the migration after which outbox jobs are sealed (found by name: versions may be renumbered) */
const SEALED_OUTBOX_MIGRATION = 'outbox: when a job was shown as delayed';

function openRepositories(db: Database.Database): Repositories {
  return {
    users: new SqliteUsers(db),
    transactions: new SqliteTransactions(db),
    botCommands: new SqliteBotCommands(db),
    logins: new SqliteLogins(db),
    ghosts: new SqliteGhosts(db),
    portals: new SqlitePortals(db),
    messages: new SqliteMessages(db),
    reactions: new SqliteReactions(db),
    outbox: new SqliteOutbox(db),
    contacts: new SqliteContacts(db),
    held: new SqliteHeldMessages(db),
    unreadable: new SqliteUnreadableStreaks(db),
    blocks: new SqliteBlocks(db),
    requests: new SqliteRequests(db),
    providers: new SqliteProviders(db),
    awaitingKeys: new SqliteAwaitingKeys(db),
  };
}

/** each repository seen through `view` (the gate, for the store's callers) */
function viewOf(repositories: Repositories, view: <R extends object>(repository: R) => R): Repositories {
  const entries = Object.entries(repositories).map(([name, repository]) => [name, view(repository as object)]);
  return Object.fromEntries(entries) as Repositories;
}

export class SqliteBridgeStore implements BridgeStore {
  readonly users: UserRepository;
  readonly transactions: TransactionRepository;
  readonly botCommands: BotCommandRepository;
  readonly logins: LoginRepository;
  readonly ghosts: GhostRepository;
  readonly portals: PortalRepository;
  readonly messages: MessageRepository;
  readonly reactions: ReactionRepository;
  readonly outbox: OutboxRepository;
  readonly contacts: ContactRepository;
  readonly held: HeldMessageRepository;
  readonly unreadable: UnreadableStreakRepository;
  readonly blocks: BlockRepository;
  readonly requests: RequestRepository;
  readonly providers: ProviderRepository;
  readonly awaitingKeys: AwaitingKeyRepository;
  private readonly repositories: Repositories;
  private readonly gate = new TransactionGate();

  private constructor(private readonly db: Database.Database) {
    this.repositories = openRepositories(withStatementCache(db));
    const outer = viewOf(this.repositories, (repository) => gated(repository, this.gate));
    this.users = outer.users;
    this.transactions = outer.transactions;
    this.botCommands = outer.botCommands;
    this.logins = outer.logins;
    this.ghosts = outer.ghosts;
    this.portals = outer.portals;
    this.messages = outer.messages;
    this.reactions = outer.reactions;
    this.outbox = outer.outbox;
    this.contacts = outer.contacts;
    this.held = outer.held;
    this.unreadable = outer.unreadable;
    this.blocks = outer.blocks;
    this.requests = outer.requests;
    this.providers = outer.providers;
    this.awaitingKeys = outer.awaitingKeys;
  }

  /** BEGIN IMMEDIATE … COMMIT on the one connection; every other caller waits meanwhile
   *  (./transaction-gate.ts), and a transaction opened meanwhile waits its turn too */
  atomically<T>(fn: (tx: BridgeStore) => Promise<T>): Promise<T> {
    return this.gate.whenOpen(() => this.transaction(fn));
  }

  private async transaction<T>(fn: (tx: BridgeStore) => Promise<T>): Promise<T> {
    // synchronous up to fn's first await: the gate is closed before any waiting call can run
    this.db.exec('BEGIN IMMEDIATE');
    this.gate.closed = true;
    const open: OpenTransaction = { savepoints: 0, live: true };
    try {
      const result = await fn(new SqliteTransaction(this.db, this.repositories, open));
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    } finally {
      open.live = false;
      this.gate.reopen();
    }
  }

  /** the underlying connection, for stores that share the file (the Signal key store) */
  get connection(): Database.Database {
    return this.db;
  }

  /** Opens (creating if needed) and migrates the database at `path` (`:memory:` for tests). */
  static open(path: string): SqliteBridgeStore {
    // secure_delete: zero deleted content in the pages it leaves (a sent job's sealed message,
    // say), so the file does not keep old data in free pages and slack space
    const db = openPrivateDatabase(path, { foreignKeys: true });
    try {
      const before = currentVersion(db);
      migrate(db, migrations);
      // pages freed before secure_delete was on (sent outbox rows held plaintext then) still
      // carry old content: rewrite the file once, when the sealed outbox arrives
      const sealed = migrations.find((m) => m.name === SEALED_OUTBOX_MIGRATION)?.version ?? Infinity;
      if (before > 0 && before < sealed && currentVersion(db) >= sealed) {
        db.exec('VACUUM');
        db.pragma('wal_checkpoint(TRUNCATE)');
      }
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteBridgeStore(db);
  }

  schemaVersion(): Promise<number> {
    return this.gate.whenOpen(() => Promise.resolve(currentVersion(this.db)));
  }

  close(): Promise<void> {
    // after any open transaction: closing under it would roll it back
    return this.gate.whenOpen(async () => {
      if (this.db.open) this.db.close();
    });
  }
}
