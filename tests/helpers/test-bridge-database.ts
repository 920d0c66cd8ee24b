/**
 * Which database the bridge under test runs on: SQLite in its temp dir (the default), or, with
 * TEST_BRIDGE_DB=postgres, a fresh PostgreSQL database of its own (tests/helpers/
 * postgres-database.ts), so that the whole e2e suite runs against PostgreSQL too (CI does
 * both). database.path stays in the temp dir either way: the connector's and the crypto
 * store's files are named from it.
 */
import type { BridgeConfig } from '../../src/config/types';
import { createTestDatabase } from './postgres-database';

export function testBridgeDatabaseKind(): 'sqlite' | 'postgres' {
  const kind = process.env.TEST_BRIDGE_DB ?? 'sqlite';
  if (kind !== 'sqlite' && kind !== 'postgres') throw new Error(`TEST_BRIDGE_DB must be sqlite or postgres, not ${kind}`);
  return kind;
}

/** Points `config.database` at the database of this run; returns what drops it again. */
export async function useTestBridgeDatabase(config: BridgeConfig): Promise<() => Promise<void>> {
  if (testBridgeDatabaseKind() === 'sqlite') return async () => undefined;
  const db = await createTestDatabase('bridge_e2e');
  config.database.type = 'postgres';
  config.database.url = db.url;
  return () => db.drop();
}
