/**
 * SQLite implementation of the bridge's repositories (better-sqlite3, WAL, foreign keys).
 * The file is private to the bridge's user (0600) and deleted content is overwritten
 * (secure_delete): what people wrote must not be readable from the file once it is gone.
 */
import Database from 'better-sqlite3';
import type { BotCommandRepository, BridgeStore, BridgeUser, TransactionRepository, UserRepository } from '../repositories';
import type {
  ContactRepository, GhostRepository, HeldMessageRepository, LoginRepository, MessageRepository, OutboxRepository,
  PortalRepository, ReactionRepository, UnreadableStreakRepository,
} from '../chat-repositories';
import type { BlockRepository } from '../block-repositories';
import type { ProviderRepository } from '../provider-repositories';
import type { RequestRepository } from '../request-repositories';
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

/** bytes of WAL kept after a checkpoint (SQLite's default is to keep all of it) */

interface UserRow {
  mxid: string;
  management_room: string | null;
  settings: string;
  inbox_space: string | null;
  created_at: number;
}

function toUser(row: UserRow): BridgeUser {
  return {
    mxid: row.mxid,
    managementRoom: row.management_room,
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    inboxSpace: row.inbox_space,
    createdAt: row.created_at,
  };
}

class SqliteUsers implements UserRepository {
  private readonly byId;
  private readonly byRoom;
  private readonly insert;
  private readonly setRoom;
  private readonly setSettings;

  constructor(private readonly db: Database.Database) {
    this.byId = db.prepare<[string], UserRow>('SELECT * FROM users WHERE mxid = ?');
    this.byRoom = db.prepare<[string], UserRow>('SELECT * FROM users WHERE management_room = ?');
    this.insert = db.prepare('INSERT OR IGNORE INTO users (mxid, created_at) VALUES (?, ?)');
    this.setRoom = db.prepare('UPDATE users SET management_room = ? WHERE mxid = ?');
    this.setSettings = db.prepare('UPDATE users SET settings = ? WHERE mxid = ?');
  }

  get(mxid: string): BridgeUser | undefined {
    const row = this.byId.get(mxid);
    return row && toUser(row);
  }

  ensure(mxid: string): BridgeUser {
    this.insert.run(mxid, Date.now());
    return toUser(this.byId.get(mxid) as UserRow);
  }

  setManagementRoom(mxid: string, roomId: string | null): void {
    this.db.transaction(() => {
      // a room belongs to one user at most: release it from whoever held it before
      if (roomId !== null) this.db.prepare('UPDATE users SET management_room = NULL WHERE management_room = ?').run(roomId);
      this.setRoom.run(roomId, mxid);
    })();
  }

  updateSettings(mxid: string, settings: Record<string, unknown>): void {
    this.setSettings.run(JSON.stringify(settings), mxid);
  }

  setInboxSpace(mxid: string, roomId: string | null): void {
    this.db.prepare('UPDATE users SET inbox_space = ? WHERE mxid = ?').run(roomId, mxid);
  }

  findByManagementRoom(roomId: string): BridgeUser | undefined {
    const row = this.byRoom.get(roomId);
    return row && toUser(row);
  }
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

  private constructor(private readonly db: Database.Database) {
    db = withStatementCache(db);
    this.users = new SqliteUsers(db);
    this.transactions = new SqliteTransactions(db);
    this.botCommands = new SqliteBotCommands(db);
    this.logins = new SqliteLogins(db);
    this.ghosts = new SqliteGhosts(db);
    this.portals = new SqlitePortals(db);
    this.messages = new SqliteMessages(db);
    this.reactions = new SqliteReactions(db);
    this.outbox = new SqliteOutbox(db);
    this.contacts = new SqliteContacts(db);
    this.held = new SqliteHeldMessages(db);
    this.unreadable = new SqliteUnreadableStreaks(db);
    this.blocks = new SqliteBlocks(db);
    this.requests = new SqliteRequests(db);
    this.providers = new SqliteProviders(db);
    this.awaitingKeys = new SqliteAwaitingKeys(db);
  }

  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn)();
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

  schemaVersion(): number {
    return currentVersion(this.db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
