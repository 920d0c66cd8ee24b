/**
 * The SQLite and PostgreSQL schemas are the same at every version: tables, columns (their
 * nullability and kind), primary keys, unique and plain indexes, read from SQLite's pragmas and
 * PostgreSQL's catalog. A migration added to one list and not the other fails here, and so
 * migrate-db can copy every table column by column. PostgreSQL's `seq` columns stand for
 * SQLite's hidden rowid (src/store/postgres/migrations.ts) and are left out.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import pg from 'pg';
import { migrate } from '../../../src/store/sqlite/migrate';
import { migrations as sqliteMigrations } from '../../../src/store/sqlite/migrations';
import { migrations as postgresMigrations } from '../../../src/store/postgres/migrations';
import { migratePostgres, VERSION_TABLE } from '../../../src/store/postgres/migrate';
import { createTestDatabase, freshSchema, type TestDatabase } from '../../helpers/postgres-database';

interface TableShape {
  /** column → "null" | "not null", and its kind */
  columns: Record<string, string>;
  primaryKey: string[];
  /** "unique (a, b)" or "index (a, b)", sorted */
  indexes: string[];
}
type Schema = Record<string, TableShape>;

/** SQLite's declared type → the PostgreSQL types that may stand for it */
const KINDS: Record<string, string> = { INTEGER: 'integer', TEXT: 'text' };
const POSTGRES_KINDS: Record<string, string> = { bigint: 'integer', integer: 'integer', boolean: 'integer', text: 'text' };

function sqliteSchema(db: Database.Database): Schema {
  const schema: Schema = {};
  const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all();
  for (const { name } of tables) {
    const info = db.prepare<[], { name: string; type: string; notnull: number; pk: number }>(`PRAGMA table_info(${name})`).all();
    assert.ok(!info.some((c) => c.name === 'seq'), `${name}: a real column named seq would be hidden by this comparison`);
    const columns: Record<string, string> = {};
    for (const c of info) columns[c.name] = `${c.notnull || c.pk ? 'not null' : 'null'} ${KINDS[c.type] ?? c.type}`;
    const primaryKey = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    const indexes = db
      .prepare<[], { name: string; unique: number; origin: string }>(`PRAGMA index_list(${name})`)
      .all()
      .filter((i) => i.origin !== 'pk')
      .map((i) => {
        const cols = db.prepare<[], { name: string }>(`PRAGMA index_info(${i.name})`).all().map((c) => c.name);
        return `${i.unique ? 'unique' : 'index'} (${cols.join(', ')})`;
      })
      .sort();
    schema[name] = { columns, primaryKey, indexes };
  }
  return schema;
}

async function postgresSchema(client: pg.Client): Promise<Schema> {
  const schema: Schema = {};
  const columns = await client.query<{ table_name: string; column_name: string; is_nullable: string; data_type: string }>(
    `SELECT c.table_name, c.column_name, c.is_nullable, c.data_type FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> $1 AND c.column_name <> 'seq'
      ORDER BY c.table_name, c.ordinal_position`,
    [VERSION_TABLE],
  );
  for (const c of columns.rows) {
    schema[c.table_name] ??= { columns: {}, primaryKey: [], indexes: [] };
    schema[c.table_name].columns[c.column_name] = `${c.is_nullable === 'YES' ? 'null' : 'not null'} ${POSTGRES_KINDS[c.data_type] ?? c.data_type}`;
  }
  const indexes = await client.query<{ table_name: string; is_primary: boolean; is_unique: boolean; columns: string[] }>(
    `SELECT t.relname AS table_name, i.indisprimary AS is_primary, i.indisunique AS is_unique,
            array(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n) AS columns
       FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace ns ON ns.oid = t.relnamespace
      WHERE ns.nspname = current_schema() AND t.relname <> $1`,
    [VERSION_TABLE],
  );
  for (const i of indexes.rows) {
    const table = schema[i.table_name];
    if (i.is_primary) table.primaryKey = i.columns;
    else table.indexes.push(`${i.is_unique ? 'unique' : 'index'} (${i.columns.join(', ')})`);
  }
  for (const table of Object.values(schema)) table.indexes.sort();
  return schema;
}

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db?.drop();
});

test('schema: SQLite and PostgreSQL have the same migrations, by version and name', () => {
  assert.deepEqual(postgresMigrations.map((m) => [m.version, m.name]), sqliteMigrations.map((m) => [m.version, m.name]));
});

test('schema: at every version, SQLite and PostgreSQL have the same tables, columns, keys and indexes', async () => {
  for (const { version } of sqliteMigrations) {
    const sqlite = new Database(':memory:');
    migrate(sqlite, sqliteMigrations.filter((m) => m.version <= version));
    const url = await freshSchema(db);
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const client = new pg.Client({ connectionString: url });
    try {
      await migratePostgres(pool, postgresMigrations.filter((m) => m.version <= version));
      await client.connect();
      assert.deepEqual(await postgresSchema(client), sqliteSchema(sqlite), `the schemas differ at version ${version}`);
    } finally {
      sqlite.close();
      await client.end();
      await pool.end();
    }
  }
});
