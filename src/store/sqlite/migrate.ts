/**
 * Applies migrations in order, each in one transaction with its version bump, and refuses
 * a database written by a newer version of the bridge (running old code on it could
 * corrupt data the old code does not understand).
 */
import type Database from 'better-sqlite3';
import type { Migration } from './migrations';

export class SchemaTooNewError extends Error {
  constructor(public readonly found: number, public readonly supported: number) {
    super(
      `database schema version ${found} is newer than this bridge supports (${supported}); ` +
        'it was used by a newer release. Run that release or restore a backup; refusing to start.',
    );
    this.name = 'SchemaTooNewError';
  }
}

export function currentVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function migrate(db: Database.Database, migrations: readonly Migration[]): { from: number; to: number } {
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const from = currentVersion(db);
  if (from > latest) throw new SchemaTooNewError(from, latest);
  const pending = [...migrations].filter((m) => m.version > from).sort((a, b) => a.version - b.version);
  for (const migration of pending) {
    db.transaction(() => {
      db.exec(migration.sql);
      // user_version is part of the database header, written in the same transaction
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return { from, to: currentVersion(db) };
}
