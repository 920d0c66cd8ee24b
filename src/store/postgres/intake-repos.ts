/**
 * PostgreSQL repositories of the appservice intake: handled transactions and events, and the
 * durable receipts of bot commands (the rules are ../sqlite/intake-repos.ts's). `seq` stands
 * for SQLite's rowid where ties in time are broken by insertion order.
 */
import type { BotCommandRecord } from '../repositories';
import type { BotCommandRepository, TransactionRepository } from '../repositories';
import { all, changed, one, type Sql } from './sql';

export class PostgresTransactions implements TransactionRepository {
  constructor(private readonly sql: Sql) {}

  async isProcessed(txnId: string, contentHash: string): Promise<boolean> {
    return (await one(this.sql.query('SELECT 1 FROM handled_transactions WHERE txn_id = $1 AND content_hash = $2', [txnId, contentHash]))) !== undefined;
  }

  async markProcessed(txnId: string, contentHash: string): Promise<void> {
    await this.sql.query('INSERT INTO handled_transactions (txn_id, content_hash, handled_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [txnId, contentHash, Date.now()]);
  }

  async lastProcessed(): Promise<string | undefined> {
    const row = await one(this.sql.query<{ txn_id: string }>('SELECT txn_id FROM handled_transactions ORDER BY handled_at DESC, seq DESC LIMIT 1'));
    return row?.txn_id;
  }

  async isEventHandled(eventId: string): Promise<boolean> {
    return (await one(this.sql.query('SELECT 1 FROM handled_events WHERE event_id = $1', [eventId]))) !== undefined;
  }

  async markEventHandled(eventId: string): Promise<void> {
    await this.sql.query('INSERT INTO handled_events (event_id, handled_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [eventId, Date.now()]);
  }

  prune(olderThanMs: number): Promise<number> {
    return this.sql.transaction(async (sql) =>
      (await changed(sql.query('DELETE FROM handled_transactions WHERE handled_at < $1', [olderThanMs]))) +
      (await changed(sql.query('DELETE FROM handled_events WHERE handled_at < $1', [olderThanMs]))));
  }
}

type BotCommandRow = {
  event_id: string;
  room_id: string;
  sender: string;
  kind: 'command' | 'invite';
  name: string;
  received_at: number;
};

export class PostgresBotCommands implements BotCommandRepository {
  constructor(private readonly sql: Sql) {}

  async accept(r: Omit<BotCommandRecord, 'receivedAt'>): Promise<boolean> {
    return (await changed(this.sql.query(
      `INSERT INTO bot_commands (event_id, room_id, sender, kind, name, state, received_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6) ON CONFLICT DO NOTHING`,
      [r.eventId, r.roomId, r.sender, r.kind, r.name, Date.now()],
    ))) > 0;
  }

  async finish(eventId: string): Promise<void> {
    await this.sql.query("UPDATE bot_commands SET state = 'done' WHERE event_id = $1", [eventId]);
  }

  async pending(): Promise<BotCommandRecord[]> {
    const rows = await all(this.sql.query<BotCommandRow>("SELECT * FROM bot_commands WHERE state = 'pending' ORDER BY received_at, seq"));
    return rows.map((row) => ({
      eventId: row.event_id, roomId: row.room_id, sender: row.sender, kind: row.kind, name: row.name, receivedAt: row.received_at,
    }));
  }

  prune(olderThanMs: number): Promise<number> {
    return changed(this.sql.query("DELETE FROM bot_commands WHERE state = 'done' AND received_at < $1", [olderThanMs]));
  }
}
