/** The bridge store's schema version lives in SQLite's user_version (see src/sqlite/migrate.ts). */
import type Database from 'better-sqlite3';
import { userVersion } from '../../sqlite/migrate';

export { migrate, SchemaTooNewError } from '../../sqlite/migrate';

export function currentVersion(db: Database.Database): number {
  return userVersion.get(db);
}
