/**
 * Copies a bridge database from SQLite into an empty PostgreSQL one (the `migrate-db`
 * command, src/migrate-db.ts). Both are at the latest schema version before this runs, so
 * their tables and columns are the same (tests/unit/store/postgres-schema.test.ts keeps them
 * so); this copies column by column what PostgreSQL's catalog lists, converting only what the
 * engines store differently (flags: 0/1 → boolean; SQLite's rowid → `seq`). Everything lands
 * in one PostgreSQL transaction, checked by row counts before it commits: a copy that fails
 * leaves the PostgreSQL database as empty as it was. Only counts are reported, never contents.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { lockMigrations, VERSION_TABLE } from './migrate';
import { storable } from './sql';

export interface CopiedTable {
  table: string;
  rows: number;
}

/** The PostgreSQL database holds bridge data already: copying into it would mix two bridges. */
export class TargetNotEmptyError extends Error {
  constructor(public readonly tables: CopiedTable[]) {
    super(
      `the PostgreSQL database already holds bridge data (${tables.map((t) => `${t.table}: ${t.rows} rows`).join(', ')}); ` +
        'migrate-db copies into an empty database only: create a new one, or drop this one if its data is not needed',
    );
    this.name = 'TargetNotEmptyError';
  }
}

interface Column {
  name: string;
  type: string;
  identity: boolean;
}

/** rows per INSERT: well below PostgreSQL's 65535 parameters per statement */
const BATCH_ROWS = 500;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function columnsOf(client: pg.ClientBase): Promise<Map<string, Column[]>> {
  const result = await client.query<{ table_name: string; column_name: string; data_type: string; is_identity: string }>(
    `SELECT c.table_name, c.column_name, c.data_type, c.is_identity FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> $1
      ORDER BY c.table_name, c.ordinal_position`,
    [VERSION_TABLE],
  );
  const tables = new Map<string, Column[]>();
  for (const r of result.rows) {
    const list = tables.get(r.table_name) ?? [];
    list.push({ name: r.column_name, type: r.data_type, identity: r.is_identity === 'YES' });
    tables.set(r.table_name, list);
  }
  return tables;
}

/** the tables in an order where each comes after those its foreign keys point at */
async function parentsFirst(client: pg.ClientBase, tables: string[]): Promise<string[]> {
  const edges = await client.query<{ child: string; parent: string }>(
    `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace ns ON ns.oid = c.relnamespace
      WHERE k.contype = 'f' AND ns.nspname = current_schema()`,
  );
  const ordered: string[] = [];
  const visit = (table: string, path: Set<string>) => {
    if (ordered.includes(table) || path.has(table)) return;
    path.add(table);
    for (const e of edges.rows) if (e.child === table && e.parent !== table) visit(e.parent, path);
    ordered.push(table);
  };
  for (const table of [...tables].sort()) visit(table, new Set());
  return ordered;
}

/** a SQLite value as the PostgreSQL column of `type` takes it */
function converted(value: unknown, type: string, where: string): unknown {
  if (value === null || type !== 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  throw new Error(`${where}: ${String(value)} is not a flag (0 or 1)`);
}

async function insertBatch(client: pg.ClientBase, table: string, columns: Column[], rows: unknown[][]): Promise<void> {
  const values: unknown[] = [];
  const tuples = rows.map((row) => `(${row.map((value) => `$${values.push(value)}`).join(', ')})`);
  await client.query(`INSERT INTO ${quote(table)} (${columns.map((c) => quote(c.name)).join(', ')}) VALUES ${tuples.join(', ')}`, storable(values));
}

async function copyTable(source: Database.Database, client: pg.ClientBase, table: string, columns: Column[]): Promise<number> {
  // SQLite's hidden rowid is what `seq` stands for (insertion order)
  const select = columns.map((c) => (c.name === 'seq' ? 'rowid AS seq' : quote(c.name))).join(', ');
  const statement = source.prepare(`SELECT ${select} FROM ${quote(table)} ORDER BY rowid`).raw(true);
  let batch: unknown[][] = [];
  let rows = 0;
  for (const row of statement.iterate() as Iterable<unknown[]>) {
    batch.push(row.map((value, i) => converted(value, columns[i].type, `${table}.${columns[i].name}`)));
    if (batch.length === BATCH_ROWS) {
      await insertBatch(client, table, columns, batch);
      rows += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) await insertBatch(client, table, columns, batch);
  return rows + batch.length;
}

/** identities go on past the copied IDs (and past IDs SQLite handed out and deleted since:
 *  sqlite_sequence), so a new row never takes an ID an old one had */
async function advanceIdentities(source: Database.Database, client: pg.ClientBase, table: string, columns: Column[]): Promise<void> {
  const hasSequenceTable = source.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").get() !== undefined;
  for (const column of columns.filter((c) => c.identity)) {
    const used = column.name === 'seq' ? 0 : hasSequenceTable
      ? ((source.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').get(table) as { seq: number } | undefined)?.seq ?? 0)
      : 0;
    const max = await client.query<{ max: string | null }>(`SELECT MAX(${quote(column.name)})::text AS max FROM ${quote(table)}`);
    const last = Math.max(Number(max.rows[0]?.max ?? 0), used);
    if (last > 0) await client.query('SELECT setval(pg_get_serial_sequence($1, $2), $3)', [quote(table), column.name, last]);
  }
}

/**
 * Copies every table of `source` (a migrated bridge database) into `client`'s database
 * (migrated, and empty), in one transaction. Refuses a table the PostgreSQL schema does not
 * have (it would be lost) and a target that holds bridge data (TargetNotEmptyError).
 */
export async function copySqliteToPostgres(source: Database.Database, client: pg.ClientBase): Promise<CopiedTable[]> {
  await client.query('BEGIN');
  // one snapshot of the SQLite file for every table, whatever writes it meanwhile
  source.exec('BEGIN');
  try {
    // no bridge migrates this database while it is filled
    await lockMigrations(client);
    const targetTables = await columnsOf(client);
    const sourceTables = source
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all()
      .map((t) => t.name);
    const unknown = sourceTables.filter((t) => !targetTables.has(t));
    if (unknown.length > 0) {
      throw new Error(`the SQLite database holds tables that are not the bridge's (${unknown.join(', ')}); they would be lost, so nothing was copied`);
    }
    const filled: CopiedTable[] = [];
    for (const table of targetTables.keys()) {
      const n = await client.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${quote(table)}`);
      if ((n.rows[0]?.n ?? 0) > 0) filled.push({ table, rows: n.rows[0].n });
    }
    if (filled.length > 0) throw new TargetNotEmptyError(filled);

    const copied: CopiedTable[] = [];
    for (const table of await parentsFirst(client, [...targetTables.keys()])) {
      const columns = targetTables.get(table) ?? [];
      const rows = sourceTables.includes(table) ? await copyTable(source, client, table, columns) : 0;
      await advanceIdentities(source, client, table, columns);
      const expected = sourceTables.includes(table) ? (source.prepare(`SELECT COUNT(*) AS n FROM ${quote(table)}`).get() as { n: number }).n : 0;
      const landed = (await client.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${quote(table)}`)).rows[0]?.n ?? 0;
      if (rows !== expected || landed !== expected) {
        throw new Error(`${table}: ${expected} rows in SQLite, ${landed} in PostgreSQL after the copy; nothing was copied`);
      }
      copied.push({ table, rows });
    }
    await client.query('COMMIT');
    return copied;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    source.exec('ROLLBACK');
  }
}
