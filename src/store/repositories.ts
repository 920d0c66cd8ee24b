/**
 * Repository interfaces: what the bridge needs from storage, independent of the engine.
 * The SQLite implementation lives in ./sqlite; a PostgreSQL one can follow behind the
 * same interfaces and run the same shared test suite (tests/unit/store/).
 */
import type {
  ContactRepository, GhostRepository, HeldMessageRepository, LoginRepository, MessageRepository, OutboxRepository,
  PortalRepository, ReactionRepository, UnreadableStreakRepository,
} from './chat-repositories';
import type { BlockRepository } from './block-repositories';
import type { ProviderRepository } from './provider-repositories';
import type { RequestRepository } from './request-repositories';
import type { AwaitingKeyRepository } from './awaiting-key-repositories';

export interface BridgeUser {
  /** Matrix user ID */
  mxid: string;
  /** room where this user talks to the bridge bot, once there is one */
  managementRoom: string | null;
  /** per-user settings; free-form so later settings need no migration (read and checked
   *  by core/user-settings.ts) */
  settings: Record<string, unknown>;
  /** the Space the bot made as this user's "Third-party chats" inbox, once there is one */
  inboxSpace: string | null;
  createdAt: number;
}

export interface UserRepository {
  get(mxid: string): Promise<BridgeUser | undefined>;
  /** creates the user if missing; returns the stored record */
  ensure(mxid: string): Promise<BridgeUser>;
  setManagementRoom(mxid: string, roomId: string | null): Promise<void>;
  updateSettings(mxid: string, settings: Record<string, unknown>): Promise<void>;
  setInboxSpace(mxid: string, roomId: string | null): Promise<void>;
  /** finds whose management room this is, if anyone's */
  findByManagementRoom(roomId: string): Promise<BridgeUser | undefined>;
}

/**
 * What the appservice intake has handled, so a retry is not handled twice. A homeserver may
 * reuse transaction IDs (Synapse on SQLite starts again at 1 after a restart), so a
 * transaction counts as seen only with the same ID *and* the same contents; events are
 * remembered by their own event IDs, whatever transaction carries them.
 */
export interface TransactionRepository {
  /** true if this exact transaction (same ID, same content hash) was handled completely */
  isProcessed(txnId: string, contentHash: string): Promise<boolean>;
  markProcessed(txnId: string, contentHash: string): Promise<void>;
  /** the ID of the transaction handled most recently, if any is remembered */
  lastProcessed(): Promise<string | undefined>;
  isEventHandled(eventId: string): Promise<boolean>;
  markEventHandled(eventId: string): Promise<void>;
  /** forget transactions and events handled before the given time (no retry comes that late) */
  prune(olderThanMs: number): Promise<number>;
}

/** A bot command (or an invite to the bot) accepted from a transaction, until it has finished. */
export interface BotCommandRecord {
  eventId: string;
  roomId: string;
  sender: string;
  kind: 'command' | 'invite';
  /** the command's name; its arguments are not kept (they may be a phone number or a one-time code) */
  name: string;
  receivedAt: number;
}

/** Durable receipts of bot commands: accepted before the transaction is answered, done once
 *  finished; what is still pending at start was interrupted by a restart. */
export interface BotCommandRepository {
  /** records a pending command; false if this event was accepted before (a retry) */
  accept(record: Omit<BotCommandRecord, 'receivedAt'>): Promise<boolean>;
  finish(eventId: string): Promise<void>;
  /** pending commands, oldest first */
  pending(): Promise<BotCommandRecord[]>;
  /** forget finished commands accepted before the given time */
  prune(olderThanMs: number): Promise<number>;
}

export interface BridgeStore {
  users: UserRepository;
  transactions: TransactionRepository;
  botCommands: BotCommandRepository;
  logins: LoginRepository;
  ghosts: GhostRepository;
  portals: PortalRepository;
  messages: MessageRepository;
  reactions: ReactionRepository;
  outbox: OutboxRepository;
  contacts: ContactRepository;
  held: HeldMessageRepository;
  unreadable: UnreadableStreakRepository;
  blocks: BlockRepository;
  requests: RequestRepository;
  providers: ProviderRepository;
  awaitingKeys: AwaitingKeyRepository;
  /**
   * Runs `fn` in one transaction: everything it does through `tx` lands together, or none of
   * it (a rejection rolls it all back and is passed on). Inside, use `tx`, never this store:
   * `tx` is the transaction (a PostgreSQL store gives it a pooled connection of its own), and
   * a store may hold its other callers back until the transaction ends (the SQLite store does,
   * having one connection), so a call on the store from inside `fn` would wait for `fn`
   * itself. `tx` is valid until the returned promise settles. `tx.atomically` nests: its part
   * is undone alone if it fails; nested calls on one `tx` run one after another, not side by
   * side. Keep network and homeserver calls out of `fn`: the transaction is open meanwhile.
   */
  atomically<T>(fn: (tx: BridgeStore) => Promise<T>): Promise<T>;
  /** the schema version the database is at */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
