/**
 * The one migration runner of the project (bridge store, Signal key store, gateway): numbered
 * SQL migrations, each applied in one transaction together with its version bump, and a
 * database newer than the code refused, because old code could corrupt data it does not
 * understand.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Where a schema keeps its version: SQLite's user_version, or a table of its own when
 *  several schemas share one file (the Signal key store inside the bridge's database). */
export interface VersionSlot {
  get(db: Database.Database): number;
  set(db: Database.Database, version: number): void;
}

export const userVersion: VersionSlot = {
  get: (db) => db.pragma('user_version', { simple: true }) as number,
  set: (db, version) => {
    db.pragma(`user_version = ${Math.trunc(version)}`);
  },
};

export function versionTable(table: string): VersionSlot {
  if (!/^[a-z_]+$/.test(table)) throw new Error(`bad version table name ${table}`);
  return {
    get: (db) => {
      db.exec(`CREATE TABLE IF NOT EXISTS ${table} (version INTEGER NOT NULL)`);
      return (db.prepare(`SELECT version FROM ${table}`).get() as { version: number } | undefined)?.version ?? 0;
    },
    set: (db, version) => {
      db.prepare(`DELETE FROM ${table}`).run();
      db.prepare(`INSERT INTO ${table} (version) VALUES (?)`).run(version);
    },
  };
}

export class SchemaTooNewError extends Error {
  constructor(
    public readonly found: number,
    public readonly supported: number,
    what = 'database',
  ) {
    super(
      `${what} schema version ${found} is newer than this code supports (${supported}); ` +
        'it was written by a newer release. Run that release or restore a backup; refusing to start.',
    );
    this.name = 'SchemaTooNewError';
  }
}

export function migrate(
  db: Database.Database,
  migrations: readonly Migration[],
  slot: VersionSlot = userVersion,
  what = 'database',
): { from: number; to: number } {
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const from = slot.get(db);
  if (from > latest) throw new SchemaTooNewError(from, latest, what);
  const pending = [...migrations].filter((m) => m.version > from).sort((a, b) => a.version - b.version);
  for (const migration of pending) {
    db.transaction(() => {
      db.exec(migration.sql);
      slot.set(db, migration.version);
    })();
  }
  return { from, to: slot.get(db) };
}
