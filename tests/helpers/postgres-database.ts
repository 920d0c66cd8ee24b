/**
 * A fresh PostgreSQL database for one test file (or one bridge under test): created on the
 * server at TEST_PG_URL (default postgres://postgres@127.0.0.1:5432, trust auth, as in CI and
 * on the development machine) and dropped by drop(). A server that cannot be reached fails the
 * test with a message that says so: these tests are never skipped silently.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  /** the connection string of the new database */
  url: string;
  name: string;
  /** drops the database (its connections too); safe to call twice */
  drop(): Promise<void>;
}

export function testServerUrl(): URL {
  return new URL(process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
}

async function onServer<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const server = testServerUrl();
  const client = new pg.Client({ connectionString: server.href, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `the PostgreSQL tests need a PostgreSQL server at ${server.host} (TEST_PG_URL; user ${server.username || 'postgres'}, ` +
        `trust auth): ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** databases not dropped yet: a test process that ends without dropping one (a crash, a
 *  helper whose owner never stops it) drops them as it exits, with psql (exit handlers cannot wait) */
const undropped = new Set<string>();
process.on('exit', () => {
  for (const name of undropped) {
    try {
      execFileSync('psql', ['-q', '-d', testServerUrl().href, '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // best effort: the server may be gone; the name says what it was (bridge_test_…)
    }
  }
});

export async function createTestDatabase(prefix = 'bridge_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await onServer((client) => client.query(`CREATE DATABASE ${name}`));
  undropped.add(name);
  const url = testServerUrl();
  url.pathname = `/${name}`;
  return {
    url: url.href,
    name,
    drop: async () => {
      if (!undropped.has(name)) return;
      undropped.delete(name);
      await onServer((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * A schema of its own in `db` for one case, as a connection string whose search_path is that
 * schema: every case starts from an empty store without a database of its own (creating a
 * database takes far longer than a schema).
 */
export async function freshSchema(db: TestDatabase): Promise<string> {
  const schema = `case_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  const url = new URL(db.url);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.href;
}
