/**
 * The connector's own storage: a SQLite file of its own next to the bridge's database
 * (`bridge.db` → `bridge.interop.db`), opened here with the bridge's file rules (private to
 * the bridge's user, WAL, secure_delete), and handed to the connector instead of the bridge's
 * handle.
 *
 * Installs from before kept the connector's tables in the bridge's database. They are moved
 * once, at start, by name (the connector lists them; nothing is discovered): copied into the
 * connector's file in one transaction that also records the move, then dropped from the
 * bridge's file. SQLite cannot make one transaction span two WAL files, so a stop between the
 * two steps is finished by the next start, which finds the record and only drops.
 */
import Database from 'better-sqlite3';
import { parse, join } from 'node:path';
import { openPrivateDatabase } from '../sqlite/private-file';
import { StartupError } from '../startup/errors';
import { openDatabaseFile } from '../startup/file-errors';
import type { ConnectorStorage } from '../network/connector';

/** bytes of WAL kept after a checkpoint, as for the bridge's own file */
/** the composition's record, in the connector's file, of the tables it moved there */
const MOVE_RECORD = 'bridge_moved_tables';

/** Where the connector `name` keeps its data, given the bridge's database path. */
export function connectorDatabasePath(bridgePath: string, name: string): string {
  if (bridgePath === ':memory:' || bridgePath === '') return ':memory:';
  const { dir, name: base, ext } = parse(bridgePath);
  return join(dir, `${base}.${name}${ext}`);
}

export function openConnectorDatabase(path: string): Database.Database {
  return openPrivateDatabase(path);
}

function hasTable(db: Database.Database, schema: 'main' | 'legacy', table: string): boolean {
  return db.prepare(`SELECT 1 FROM ${schema}.sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined;
}

function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Step one: copies `tables` (their definitions, indexes and rows) from the bridge's file into
 *  the connector's, with the record of the move, in one transaction of the connector's file. */
export function copyLegacyTables(target: Database.Database, bridgePath: string, tables: readonly string[]): void {
  target.prepare('ATTACH DATABASE ? AS legacy').run(bridgePath);
  try {
    target.transaction(() => {
      const present = tables.filter((t) => hasTable(target, 'legacy', t));
      const marks = present.map(() => '?').join(', ');
      const definitions = target
        .prepare<string[], { type: string; name: string; tbl_name: string; sql: string }>(
          `SELECT type, name, tbl_name, sql FROM legacy.sqlite_master WHERE tbl_name IN (${marks}) AND type IN ('table', 'index') AND sql IS NOT NULL`,
        )
        .all(...present);
      // tables first (with their rows), then their indexes
      for (const d of definitions.filter((x) => x.type === 'table')) {
        target.exec(d.sql);
        target.exec(`INSERT INTO main.${quoted(d.name)} SELECT * FROM legacy.${quoted(d.name)}`);
      }
      for (const d of definitions.filter((x) => x.type === 'index')) target.exec(d.sql);
      target.exec(`CREATE TABLE IF NOT EXISTS ${MOVE_RECORD} (name TEXT PRIMARY KEY, moved_at INTEGER NOT NULL)`);
      const record = target.prepare(`INSERT OR REPLACE INTO ${MOVE_RECORD} (name, moved_at) VALUES (?, ?)`);
      for (const t of present) record.run(t, Date.now());
    })();
  } finally {
    target.exec('DETACH DATABASE legacy');
  }
}

function movedBefore(target: Database.Database, table: string): boolean {
  if (!hasTable(target, 'main', MOVE_RECORD)) return false;
  return target.prepare(`SELECT 1 FROM ${MOVE_RECORD} WHERE name = ?`).get(table) !== undefined;
}

/**
 * Moves the connector's `tables` out of the bridge's database, when they are still there.
 * Refuses (StartupError) when both files hold one of them and the connector's copy did not come
 * from a move: an old bridge database restored beside a newer connector file, say, where
 * either choice could lose keys.
 */
export function moveLegacyTables(
  bridge: Database.Database, bridgePath: string, target: Database.Database, targetPath: string, tables: readonly string[],
): string[] {
  if (connectorDatabasePath(bridgePath, 'x') === ':memory:') return [];
  const left = tables.filter((t) => bridge.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t) !== undefined);
  if (left.length === 0) return [];
  const notMoved = left.filter((t) => !movedBefore(target, t));
  const clash = notMoved.filter((t) => hasTable(target, 'main', t));
  if (clash.length > 0) {
    throw new StartupError(
      `both the bridge's database (${bridgePath}) and the connector's (${targetPath}) hold ${clash.join(', ')}; ` +
        'restore the two files from the same backup (or remove the one that is not current) and start again',
    );
  }
  if (notMoved.length > 0) copyLegacyTables(target, bridgePath, notMoved);
  bridge.transaction(() => {
    for (const t of left) bridge.exec(`DROP TABLE ${quoted(t)}`);
  })();
  return left;
}

/** Opens the connector's storage, moving its tables out of the bridge's SQLite database first.
 *  `bridge` is undefined when the bridge's own store is not SQLite (PostgreSQL): the
 *  connector's file is still named from `bridgePath` (database.path), and nothing is moved
 *  (migrate-db moved the tables before the bridge left SQLite). */
export function openConnectorStorage(
  bridge: Database.Database | undefined, bridgePath: string, connector: { name: string; legacyTables?: readonly string[] },
): { storage: ConnectorStorage; path: string; moved: string[]; close(): void } {
  const path = connectorDatabasePath(bridgePath, connector.name);
  const database = openDatabaseFile(path, openConnectorDatabase, `the ${connector.name} connector's database, beside database.path`);
  try {
    const moved = bridge ? moveLegacyTables(bridge, bridgePath, database, path, connector.legacyTables ?? []) : [];
    return { storage: { database }, path, moved, close: () => database.open && database.close() };
  } catch (error) {
    database.close();
    throw error;
  }
}
