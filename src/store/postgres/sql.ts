/**
 * The one way the PostgreSQL repositories reach the database: `query` and `transaction`, on
 * the pool (each query on whichever connection is free; a transaction on one connection
 * checked out for it) or on the connection of a transaction already open (a nested
 * transaction is a SAVEPOINT on it, so everything done through a tx lands together).
 */
import pg from 'pg';

export type Row = Record<string, unknown>;

export interface Sql {
  query<R extends Row = Row>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>>;
  /** runs `fn` in one transaction (a savepoint when already inside one): all of it lands, or none */
  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
}

/** int8 (timestamps in ms, COUNT(*)) as numbers: the bridge's values are far below 2^53, and a
 *  value that is not is an error, not a silently rounded number */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`int8 value ${text} is beyond what the bridge handles as a number`);
  return value;
}

/**
 * PostgreSQL text cannot hold U+0000 (SQLite's can), and what the bridge stores comes partly
 * from remote people (a display name, a message ID): a NUL is stored as U+FFFD instead, in
 * every parameter alike, so that a lookup by the same value still finds the row, rather than
 * the statement failing (and a receive being retried for ever).
 */
export function storable(values: readonly unknown[] | undefined): unknown[] | undefined {
  if (!values) return undefined;
  return values.map((value) => (typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value));
}

/** Type parsers for the bridge's pool only: the process-wide pg.types stay as they are. */
export function bridgeTypeParsers(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, parseInt8);
  return types;
}

/** A transaction's connection. A nested transaction is a savepoint on it, opened at once (as
 *  the SQLite store does): calls on one tx are made one after another by their caller, and
 *  waiting here for another savepoint could wait for the caller's own. Once the transaction
 *  has ended the connection is back in the pool, serving others: a late call is refused. */
class ClientSql implements Sql {
  /** savepoint names are generated, never input */
  private savepoints = 0;
  ended = false;

  constructor(private readonly client: pg.PoolClient) {}

  query<R extends Row = Row>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>> {
    if (this.ended) return Promise.reject(new Error('a transaction\'s tx was used after the transaction ended'));
    return this.client.query<R>(text, storable(values));
  }

  async transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    const name = `bridge_savepoint_${++this.savepoints}`;
    await this.query(`SAVEPOINT ${name}`);
    try {
      const result = await fn(this);
      await this.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await this.query(`ROLLBACK TO SAVEPOINT ${name}`);
      await this.query(`RELEASE SAVEPOINT ${name}`);
      throw error;
    }
  }
}

/** Runs `fn` on a connection of its own between BEGIN and COMMIT (ROLLBACK when it throws);
 *  the connection goes back to the pool in every case, and is discarded if ROLLBACK failed. */
export async function inTransaction<T>(pool: pg.Pool, fn: (sql: Sql) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const sql = new ClientSql(client);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const result = await fn(sql);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    }
  } finally {
    sql.ended = true;
    client.release(broken);
  }
}

export class PoolSql implements Sql {
  constructor(private readonly pool: pg.Pool) {}

  query<R extends Row = Row>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, storable(values));
  }

  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }
}

/** the first row of a result, if any */
export async function one<R extends Row>(pending: Promise<pg.QueryResult<R>>): Promise<R | undefined> {
  return (await pending).rows[0];
}

/** the rows of a result */
export async function all<R extends Row>(pending: Promise<pg.QueryResult<R>>): Promise<R[]> {
  return (await pending).rows;
}

/** how many rows a statement changed */
export async function changed(pending: Promise<pg.QueryResult>): Promise<number> {
  return (await pending).rowCount ?? 0;
}

/** a COUNT(*) AS n query's number */
export async function count(pending: Promise<pg.QueryResult<{ n: number }>>): Promise<number> {
  return (await pending).rows[0]?.n ?? 0;
}
