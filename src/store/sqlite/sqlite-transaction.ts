/**
 * What `atomically(fn)` hands `fn` as `tx` in the SQLite store: the repositories themselves,
 * past the gate that holds the store's other callers back while the transaction is open
 * (./transaction-gate.ts). One small object per transaction (this is on every message's
 * path); a `tx` kept beyond its transaction refuses to be used, since it would slip past the
 * gate into whatever transaction is open then.
 */
import type Database from 'better-sqlite3';
import type { BotCommandRepository, BridgeStore, TransactionRepository, UserRepository } from '../repositories';
import type {
  ContactRepository, GhostRepository, HeldMessageRepository, LoginRepository, MessageRepository, OutboxRepository,
  PortalRepository, ReactionRepository, UnreadableStreakRepository,
} from '../chat-repositories';
import type { BlockRepository } from '../block-repositories';
import type { ProviderRepository } from '../provider-repositories';
import type { RequestRepository } from '../request-repositories';
import type { AwaitingKeyRepository } from '../awaiting-key-repositories';
import { currentVersion } from './migrate';

/** every repository of the store, without the store's own methods */
export type Repositories = Omit<BridgeStore, 'atomically' | 'schemaVersion' | 'close'>;

/** the open transaction, as the store tracks it */
export interface OpenTransaction {
  /** counts savepoints, to name them */
  savepoints: number;
  /** true until the transaction ends */
  live: boolean;
}

export class SqliteTransaction implements BridgeStore {
  constructor(
    private readonly db: Database.Database,
    private readonly repositories: Repositories,
    private readonly open: OpenTransaction,
  ) {}

  /** the repositories, while the transaction is open */
  private get live(): Repositories {
    if (!this.open.live) throw new Error('store used through a transaction that has ended');
    return this.repositories;
  }

  get users(): UserRepository { return this.live.users; }
  get transactions(): TransactionRepository { return this.live.transactions; }
  get botCommands(): BotCommandRepository { return this.live.botCommands; }
  get logins(): LoginRepository { return this.live.logins; }
  get ghosts(): GhostRepository { return this.live.ghosts; }
  get portals(): PortalRepository { return this.live.portals; }
  get messages(): MessageRepository { return this.live.messages; }
  get reactions(): ReactionRepository { return this.live.reactions; }
  get outbox(): OutboxRepository { return this.live.outbox; }
  get contacts(): ContactRepository { return this.live.contacts; }
  get held(): HeldMessageRepository { return this.live.held; }
  get unreadable(): UnreadableStreakRepository { return this.live.unreadable; }
  get blocks(): BlockRepository { return this.live.blocks; }
  get requests(): RequestRepository { return this.live.requests; }
  get providers(): ProviderRepository { return this.live.providers; }
  get awaitingKeys(): AwaitingKeyRepository { return this.live.awaitingKeys; }

  /** nested: a savepoint inside the open transaction, so that a failure undoes only its part
   *  (nested calls on one tx run one after another: savepoints nest, they do not interleave) */
  async atomically<T>(fn: (tx: BridgeStore) => Promise<T>): Promise<T> {
    if (!this.open.live) throw new Error('atomically() through a transaction that has ended');
    const savepoint = `nested_${++this.open.savepoints}`;
    this.db.exec(`SAVEPOINT ${savepoint}`);
    try {
      const result = await fn(this);
      this.db.exec(`RELEASE ${savepoint}`);
      return result;
    } catch (error) {
      this.db.exec(`ROLLBACK TO ${savepoint}`);
      this.db.exec(`RELEASE ${savepoint}`);
      throw error;
    }
  }

  async schemaVersion(): Promise<number> {
    return currentVersion(this.db);
  }

  close(): Promise<void> {
    return Promise.reject(new Error('close() the store, not a transaction'));
  }
}
