/**
 * SQLite repositories of the appservice intake: which transactions and events were handled
 * (so a homeserver retry is not handled twice, even when the homeserver reuses a transaction
 * ID), and the durable receipts of bot commands (so a restart mid-command is answered).
 */
import type Database from 'better-sqlite3';
import type { BotCommandRecord, BotCommandRepository, TransactionRepository } from '../repositories';

export class SqliteTransactions implements TransactionRepository {
  private readonly check;
  private readonly mark;
  private readonly latest;
  private readonly checkEvent;
  private readonly markEvent;
  private readonly removeTransactions;
  private readonly removeEvents;

  constructor(private readonly db: Database.Database) {
    this.check = db.prepare<[string, string], { one: number }>(
      'SELECT 1 AS one FROM handled_transactions WHERE txn_id = ? AND content_hash = ?',
    );
    this.mark = db.prepare('INSERT OR IGNORE INTO handled_transactions (txn_id, content_hash, handled_at) VALUES (?, ?, ?)');
    this.latest = db.prepare<[], { txn_id: string }>('SELECT txn_id FROM handled_transactions ORDER BY handled_at DESC, rowid DESC LIMIT 1');
    this.checkEvent = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM handled_events WHERE event_id = ?');
    this.markEvent = db.prepare('INSERT OR IGNORE INTO handled_events (event_id, handled_at) VALUES (?, ?)');
    this.removeTransactions = db.prepare('DELETE FROM handled_transactions WHERE handled_at < ?');
    this.removeEvents = db.prepare('DELETE FROM handled_events WHERE handled_at < ?');
  }

  async isProcessed(txnId: string, contentHash: string): Promise<boolean> {
    return this.check.get(txnId, contentHash) !== undefined;
  }

  async markProcessed(txnId: string, contentHash: string): Promise<void> {
    this.mark.run(txnId, contentHash, Date.now());
  }

  async lastProcessed(): Promise<string | undefined> {
    return this.latest.get()?.txn_id;
  }

  async isEventHandled(eventId: string): Promise<boolean> {
    return this.checkEvent.get(eventId) !== undefined;
  }

  async markEventHandled(eventId: string): Promise<void> {
    this.markEvent.run(eventId, Date.now());
  }

  async prune(olderThanMs: number): Promise<number> {
    return this.db.transaction(() => this.removeTransactions.run(olderThanMs).changes + this.removeEvents.run(olderThanMs).changes)();
  }
}

interface BotCommandRow {
  event_id: string;
  room_id: string;
  sender: string;
  kind: 'command' | 'invite';
  name: string;
  received_at: number;
}

export class SqliteBotCommands implements BotCommandRepository {
  private readonly insert;
  private readonly done;
  private readonly open;
  private readonly remove;

  constructor(db: Database.Database) {
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO bot_commands (event_id, room_id, sender, kind, name, state, received_at)
       VALUES (?, ?, ?, ?, ?, 'pending', ?)`,
    );
    this.done = db.prepare("UPDATE bot_commands SET state = 'done' WHERE event_id = ?");
    this.open = db.prepare<[], BotCommandRow>("SELECT * FROM bot_commands WHERE state = 'pending' ORDER BY received_at, rowid");
    this.remove = db.prepare("DELETE FROM bot_commands WHERE state = 'done' AND received_at < ?");
  }

  async accept(r: Omit<BotCommandRecord, 'receivedAt'>): Promise<boolean> {
    return this.insert.run(r.eventId, r.roomId, r.sender, r.kind, r.name, Date.now()).changes > 0;
  }

  async finish(eventId: string): Promise<void> {
    this.done.run(eventId);
  }

  async pending(): Promise<BotCommandRecord[]> {
    return this.open.all().map((row) => ({
      eventId: row.event_id, roomId: row.room_id, sender: row.sender, kind: row.kind, name: row.name, receivedAt: row.received_at,
    }));
  }

  async prune(olderThanMs: number): Promise<number> {
    return this.remove.run(olderThanMs).changes;
  }
}
