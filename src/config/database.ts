/**
 * What the schema cannot say about the database section: which keys go with which type. The
 * connection string is a secret (it may hold the password), so no message here repeats it.
 */
import type { DatabaseConfig } from './types';

export function databaseProblems(database: DatabaseConfig): string[] {
  if (database.type === 'postgres' && database.url === undefined) {
    return ['database.url: required when database.type is postgres (postgres://user:password@host:5432/database)'];
  }
  if (database.type === 'sqlite' && database.url !== undefined) {
    return ['database.url: only used with database.type: postgres (set type: postgres, or remove url to keep SQLite)'];
  }
  return [];
}
