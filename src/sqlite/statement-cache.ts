/**
 * A view of a better-sqlite3 database whose prepare() returns one cached statement per SQL
 * text. Preparing is the costliest step of a simple query (it showed as the bridge's top
 * self-time in the benchmark profile); the repositories keep their SQL inline and readable,
 * and this removes the cost. Statements are reusable and never iterated here.
 */
import type Database from 'better-sqlite3';

export function withStatementCache(db: Database.Database): Database.Database {
  const cache = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === 'prepare') return prepare;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
