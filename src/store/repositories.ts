/**
 * Repository interfaces: what the bridge needs from storage, independent of the engine.
 * The SQLite implementation lives in ./sqlite; a PostgreSQL one can follow behind the
 * same interfaces and run the same shared test suite (tests/unit/store/).
 */
import type {
  ContactRepository, GhostRepository, HeldMessageRepository, LoginRepository, MessageRepository, OutboxRepository,
  PortalRepository, ReactionRepository,
} from './chat-repositories';

export interface BridgeUser {
  /** Matrix user ID */
  mxid: string;
  /** room where this user talks to the bridge bot, once there is one */
  managementRoom: string | null;
  /** per-user settings; free-form so later settings need no migration */
  settings: Record<string, unknown>;
  createdAt: number;
}

export interface UserRepository {
  get(mxid: string): BridgeUser | undefined;
  /** creates the user if missing; returns the stored record */
  ensure(mxid: string): BridgeUser;
  setManagementRoom(mxid: string, roomId: string | null): void;
  updateSettings(mxid: string, settings: Record<string, unknown>): void;
  /** finds whose management room this is, if anyone's */
  findByManagementRoom(roomId: string): BridgeUser | undefined;
}

/** Appservice transactions already handled, so a retried transaction is not handled twice. */
export interface TransactionRepository {
  isProcessed(txnId: string): boolean;
  markProcessed(txnId: string): void;
  /** forget transactions older than the given time (they will not be retried by then) */
  prune(olderThanMs: number): number;
}

export interface BridgeStore {
  users: UserRepository;
  transactions: TransactionRepository;
  logins: LoginRepository;
  ghosts: GhostRepository;
  portals: PortalRepository;
  messages: MessageRepository;
  reactions: ReactionRepository;
  outbox: OutboxRepository;
  contacts: ContactRepository;
  held: HeldMessageRepository;
  /** runs `fn` in one transaction: all its writes land, or none */
  atomically<T>(fn: () => T): T;
  /** the schema version the database is at */
  schemaVersion(): number;
  close(): void;
}
