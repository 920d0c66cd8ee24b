/**
 * A view of a better-sqlite3 database whose prepare() returns the statement cached per SQL
 * text (./prepared.ts). Preparing is the costliest step of a simple query (it showed as the
 * bridge's top self-time in the benchmark profile); with this view the repositories keep their
 * SQL inline and readable. Statements are reusable and never iterated here.
 */
import type Database from 'better-sqlite3';
import { prepared } from './prepared';

export function withStatementCache(db: Database.Database): Database.Database {
  const prepare = (sql: string) => prepared(db, sql);
  return new Proxy(db, {
    get(target, property) {
      if (property === 'prepare') return prepare;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
