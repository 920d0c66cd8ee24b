/**
 * PostgreSQL implementation of the bridge's repositories (node-postgres, a pool), for installs
 * that outgrow one SQLite file. Same interfaces, same semantics and the same schema version as
 * ../sqlite/sqlite-store.ts; `atomically` runs on one connection checked out of the pool, and a
 * store bound to that connection is what `fn` gets.
 */
import pg from 'pg';
import type { AwaitingKeyRepository } from '../awaiting-key-repositories';
import type { BlockRepository } from '../block-repositories';
import type { BotCommandRepository, BridgeStore, TransactionRepository, UserRepository } from '../repositories';
import type {
  ContactRepository, GhostRepository, HeldMessageRepository, LoginRepository, MessageRepository, OutboxRepository,
  PortalRepository, ReactionRepository, UnreadableStreakRepository,
} from '../chat-repositories';
import type { ProviderRepository } from '../provider-repositories';
import type { RequestRepository } from '../request-repositories';
import { bridgeTypeParsers, PoolSql, type Sql } from './sql';
import { migratePostgres, schemaVersionOf } from './migrate';
import { migrations } from './migrations';
import { PostgresUsers } from './user-repo';
import { PostgresBotCommands, PostgresTransactions } from './intake-repos';
import { PostgresGhosts, PostgresLogins } from './login-ghost-repos';
import { PostgresMessages, PostgresPortals, PostgresReactions } from './portal-repos';
import { PostgresOutbox } from './outbox-repo';
import { PostgresContacts, PostgresHeldMessages, PostgresUnreadableStreaks } from './contact-repos';
import { PostgresBlocks } from './block-repo';
import { PostgresRequests } from './request-repo';
import { PostgresProviders } from './provider-repo';
import { PostgresAwaitingKeys } from './awaiting-key-repo';

export interface PostgresStoreOptions {
  /** postgres://user[:password]@host[:port]/database[?options] */
  url: string;
  /** connections at most (config database.pool_size) */
  poolSize: number;
  /** an idle connection failed (the server restarted, say): the pool drops it and opens another
   *  when needed; without a listener node-postgres would crash the process */
  onIdleError?: (error: Error) => void;
}

/** how long a start waits for the server to answer before it says it cannot reach it */
const CONNECT_TIMEOUT_MS = 10_000;

export class PostgresBridgeStore implements BridgeStore {
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

  /** `pool`: set on the store that owns it; a transaction's store has none (it cannot close it) */
  private constructor(private readonly sql: Sql, private readonly pool?: pg.Pool) {
    this.users = new PostgresUsers(sql);
    this.transactions = new PostgresTransactions(sql);
    this.botCommands = new PostgresBotCommands(sql);
    this.logins = new PostgresLogins(sql);
    this.ghosts = new PostgresGhosts(sql);
    this.portals = new PostgresPortals(sql);
    this.messages = new PostgresMessages(sql);
    this.reactions = new PostgresReactions(sql);
    this.outbox = new PostgresOutbox(sql);
    this.contacts = new PostgresContacts(sql);
    this.held = new PostgresHeldMessages(sql);
    this.unreadable = new PostgresUnreadableStreaks(sql);
    this.blocks = new PostgresBlocks(sql);
    this.requests = new PostgresRequests(sql);
    this.providers = new PostgresProviders(sql);
    this.awaitingKeys = new PostgresAwaitingKeys(sql);
  }

  /** Connects, migrates to the latest version and returns the store; the pool is closed again
   *  when that fails. */
  static async open(options: PostgresStoreOptions): Promise<PostgresBridgeStore> {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      types: bridgeTypeParsers(),
      application_name: 'matrix-interop-bridge',
    });
    pool.on('error', (error) => options.onIdleError?.(error));
    try {
      await probe(options.url);
      await migratePostgres(pool, migrations);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresBridgeStore(new PoolSql(pool), pool);
  }

  atomically<T>(fn: (tx: BridgeStore) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new PostgresBridgeStore(sql)));
  }

  schemaVersion(): Promise<number> {
    return schemaVersionOf(this.sql);
  }

  async close(): Promise<void> {
    if (!this.pool) throw new Error('a transaction\'s store is closed by its transaction, not by close()');
    if (!this.pool.ended) await this.pool.end();
  }
}

/** One connection with a time-out, before the pool (whose waits have none): a server that
 *  does not answer is an error at start, not a bridge that hangs. */
async function probe(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // a connection that breaks while being opened reports on the client too
  client.on('error', () => undefined);
  try {
    await client.connect();
  } finally {
    await client.end().catch(() => undefined);
  }
}
