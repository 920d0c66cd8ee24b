/**
 * Numbered SQL migrations. Append only: never edit one that has shipped. Each runs in one
 * transaction together with its version bump, so a failure leaves the database as it was.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'users and processed transactions',
    sql: `
      CREATE TABLE users (
        mxid TEXT PRIMARY KEY,
        management_room TEXT UNIQUE,
        settings TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL
      );
      CREATE TABLE processed_transactions (
        txn_id TEXT PRIMARY KEY,
        processed_at INTEGER NOT NULL
      );
      CREATE INDEX processed_transactions_by_time ON processed_transactions (processed_at);
    `,
  },
];
