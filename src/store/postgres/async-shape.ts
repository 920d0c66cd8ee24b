/**
 * TEMPORARY: the asynchronous shape of the repository interfaces, while they are still
 * synchronous in ../repositories.ts (helper h1 makes them return promises). The PostgreSQL
 * classes import their interfaces from here under the same names; once the interfaces are
 * async, those imports point at ../repositories.ts etc. and this file is deleted.
 */
import type * as Sync from '../repositories';
import type * as Chat from '../chat-repositories';
import type * as Block from '../block-repositories';
import type * as Provider from '../provider-repositories';
import type * as Request from '../request-repositories';
import type * as AwaitingKey from '../awaiting-key-repositories';

/** every method of T, returning a promise of what it returns now */
export type Async<T> = { [K in keyof T]: T[K] extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : T[K] };

export type UserRepository = Async<Sync.UserRepository>;
export type TransactionRepository = Async<Sync.TransactionRepository>;
export type BotCommandRepository = Async<Sync.BotCommandRepository>;
export type LoginRepository = Async<Chat.LoginRepository>;
export type GhostRepository = Async<Chat.GhostRepository>;
export type PortalRepository = Async<Chat.PortalRepository>;
export type MessageRepository = Async<Chat.MessageRepository>;
export type ReactionRepository = Async<Chat.ReactionRepository>;
export type OutboxRepository = Async<Chat.OutboxRepository>;
export type ContactRepository = Async<Chat.ContactRepository>;
export type HeldMessageRepository = Async<Chat.HeldMessageRepository>;
export type UnreadableStreakRepository = Async<Chat.UnreadableStreakRepository>;
export type BlockRepository = Async<Block.BlockRepository>;
export type ProviderRepository = Async<Provider.ProviderRepository>;
export type RequestRepository = Async<Request.RequestRepository>;
export type AwaitingKeyRepository = Async<AwaitingKey.AwaitingKeyRepository>;

type Repositories = Omit<Sync.BridgeStore, 'atomically' | 'schemaVersion' | 'close'>;

export type BridgeStore = { [K in keyof Repositories]: Async<Repositories[K]> } & {
  atomically<T>(fn: (tx: BridgeStore) => Promise<T>): Promise<T>;
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
};
