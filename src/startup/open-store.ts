/**
 * Opens the bridge's store as database.type says: the SQLite file of database.path, or the
 * PostgreSQL database of database.url with a pool of database.pool_size connections. A
 * failure is a StartupError that names the file or the server (never the password).
 */
import type Database from 'better-sqlite3';
import type { DatabaseConfig } from '../config/types';
import { SqliteBridgeStore, type BridgeStore } from '../store';
import { PostgresBridgeStore } from '../store/postgres/postgres-store';
import { describePostgresTarget, withoutPassword } from '../store/postgres/target';
import type { StartupLog } from './errors';
import { openDatabaseFile } from './file-errors';
import { openPostgresDatabase } from './postgres-errors';

export interface OpenedStore {
  store: BridgeStore;
  /** the SQLite connection, when the store is SQLite: older installs' connector tables are
   *  moved out of it (src/connectors/storage.ts) */
  sqlite?: Database.Database;
}

export async function openBridgeStore(database: DatabaseConfig, log: StartupLog): Promise<OpenedStore> {
  const { url } = database;
  if (database.type === 'sqlite' || url === undefined) {
    const store = openDatabaseFile(database.path, (path) => SqliteBridgeStore.open(path));
    return { store, sqlite: store.connection };
  }
  const store = await openPostgresDatabase(url, () => PostgresBridgeStore.open({
    url,
    poolSize: database.pool_size,
    onIdleError: (error) => log.warn(withoutPassword(`a pooled PostgreSQL connection failed while idle (${error.message}); another is opened when needed`, url)),
  }));
  log.info(`database: PostgreSQL ${describePostgresTarget(url)}, at most ${database.pool_size} connections`);
  return { store };
}
