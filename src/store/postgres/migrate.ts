/**
 * The PostgreSQL migration runner: the rules of src/sqlite/migrate.ts (numbered migrations,
 * each applied in one transaction together with its version record; a database newer than the
 * code refused), plus an advisory lock, so two bridges starting on the same database at once
 * do not both apply a migration: each transaction takes the lock, then reads the version.
 */
import type pg from 'pg';
import { SchemaTooNewError } from '../../sqlite/migrate';
import { inTransaction, type Sql } from './sql';

export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

/** the versions applied, one row each (not part of the bridge's schema proper) */
export const VERSION_TABLE = 'bridge_schema_migrations';

/** the advisory lock key of the bridge's migrations: any fixed int8, the same in every bridge
 *  ("mib" "migr" in ASCII, to be recognisable in pg_locks) */
const MIGRATION_LOCK = 0x6d6962_6d696772n;

/** Waits for (and, until the transaction ends, holds) the lock of the bridge's schema: taken
 *  by each migration and by migrate-db's copy. */
export async function lockMigrations(sql: { query(text: string, values?: unknown[]): Promise<unknown> }): Promise<void> {
  await sql.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
}

export async function schemaVersionOf(sql: Sql): Promise<number> {
  const exists = await sql.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [VERSION_TABLE]);
  if (!exists.rows[0]?.present) return 0;
  const row = await sql.query<{ version: number | null }>(`SELECT MAX(version) AS version FROM ${VERSION_TABLE}`);
  return row.rows[0]?.version ?? 0;
}

/** Applies the pending migrations one transaction each; returns the versions before and after. */
export async function migratePostgres(pool: pg.Pool, migrations: readonly PostgresMigration[]): Promise<{ from: number; to: number }> {
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  let from: number | undefined;
  for (;;) {
    const step = await inTransaction(pool, async (sql) => {
      await lockMigrations(sql);
      await sql.query(`CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const current = await schemaVersionOf(sql);
      if (current > latest) throw new SchemaTooNewError(current, latest);
      const next = ordered.find((m) => m.version > current);
      if (next) {
        await sql.query(next.sql);
        await sql.query(`INSERT INTO ${VERSION_TABLE} (version, name, applied_at) VALUES ($1, $2, $3)`, [next.version, next.name, Date.now()]);
      }
      return { current, done: next === undefined };
    });
    from ??= step.current;
    if (step.done) return { from, to: step.current };
  }
}
