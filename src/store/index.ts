export type {
  BotCommandRecord, BotCommandRepository, BridgeStore, BridgeUser, UserRepository, TransactionRepository,
} from './repositories';
export { SqliteBridgeStore } from './sqlite/sqlite-store';
export { SchemaTooNewError } from './sqlite/migrate';
export type * from './chat-repositories';
export type * from './block-repositories';
export type * from './request-repositories';
export type * from './provider-repositories';
export type * from './awaiting-key-repositories';
