/**
 * `matrix-interop-bridge migrate-db -c config.yaml`: moves a bridge from SQLite to PostgreSQL.
 * The config already says `database.type: postgres` with `database.url`, and `database.path`
 * still names the SQLite file (it stays the place of the files that are local either way: the
 * connector's Signal keys, the crypto store). The SQLite file is brought to the latest version
 * first, as a start would (with the connector's tables moved into its own file), then copied
 * into the empty PostgreSQL database in one transaction (src/store/postgres/copy-from-sqlite.ts).
 * The SQLite file is left as it was, as the backup of the moment before.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import type { BridgeConfig } from './config/types';
import { ConfigError } from './config/errors';
import { prepareConnector } from './connectors/prepare';
import { openConnectorStorage } from './connectors/storage';
import { openDatabaseFile, openPostgresDatabase, StartupError } from './startup';
import { SqliteBridgeStore } from './store';
import { PostgresBridgeStore } from './store/postgres/postgres-store';
import { copySqliteToPostgres } from './store/postgres/copy-from-sqlite';
import { describePostgresTarget } from './store/postgres/target';

export async function migrateDb(config: BridgeConfig, env: NodeJS.ProcessEnv, say: (line: string) => void): Promise<void> {
  const { url } = config.database;
  if (config.database.type !== 'postgres' || url === undefined) {
    throw new ConfigError([
      'database.type: migrate-db copies into PostgreSQL: set type: postgres and url first, and keep path naming the SQLite file',
    ]);
  }
  const path = config.database.path;
  if (path === ':memory:' || !existsSync(path)) throw new StartupError(`there is no SQLite database at ${resolve(path)} (database.path) to copy`);
  const target = describePostgresTarget(url);
  const connector = prepareConnector(config.network, env);

  const source = openDatabaseFile(path, (p) => SqliteBridgeStore.open(p));
  try {
    // what a start on SQLite would do first: the connector's tables out of the bridge's file
    const storage = openConnectorStorage(source.connection, path, connector.definition);
    storage.close();
    if (storage.moved.length > 0) say(`moved the ${connector.definition.name} connector's ${storage.moved.length} tables into ${storage.path}`);
    say(`copying ${resolve(path)} (schema version ${await source.schemaVersion()}) into the PostgreSQL database ${target}`);

    // migrated to the same version, then filled on one connection in one transaction
    const store = await openPostgresDatabase(url, () => PostgresBridgeStore.open({ url, poolSize: 1 }));
    await store.close();
    const client = new pg.Client({ connectionString: url });
    await openPostgresDatabase(url, () => client.connect());
    try {
      const copied = await copySqliteToPostgres(source.connection, client);
      const width = Math.max(...copied.map((t) => t.table.length));
      for (const t of copied) say(`  ${t.table.padEnd(width)}  ${t.rows}`);
      const total = copied.reduce((n, t) => n + t.rows, 0);
      say(`copied ${total} rows in ${copied.length} tables; every table's count matches. ` +
        `Start the bridge with this config; ${path} is no longer used (keep it as the backup of this moment), ` +
        'the files beside it stay in use.');
    } finally {
      await client.end();
    }
  } finally {
    await source.close();
  }
}
