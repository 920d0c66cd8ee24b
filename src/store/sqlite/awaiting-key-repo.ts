/** SQLite repository of encrypted events waiting for their room key (migration 14). */
import type Database from 'better-sqlite3';
import type { AwaitingKeyEvent, AwaitingKeyRepository } from '../awaiting-key-repositories';

interface Row {
  event_id: string;
  room_id: string;
  event: string;
  reason: string;
  held_at: number;
}

export class SqliteAwaitingKeys implements AwaitingKeyRepository {
  private readonly insert;
  private readonly list;
  private readonly total;
  private readonly remove;

  constructor(db: Database.Database) {
    this.insert = db.prepare(
      'INSERT OR IGNORE INTO events_awaiting_keys (event_id, room_id, event, reason, held_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.list = db.prepare<[number], Row>('SELECT * FROM events_awaiting_keys ORDER BY held_at, rowid LIMIT ?');
    this.total = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM events_awaiting_keys');
    this.remove = db.prepare('DELETE FROM events_awaiting_keys WHERE event_id = ?');
  }

  async hold(e: AwaitingKeyEvent): Promise<boolean> {
    return this.insert.run(e.eventId, e.roomId, JSON.stringify(e.event), e.reason, e.heldAt).changes > 0;
  }

  async oldest(limit: number): Promise<AwaitingKeyEvent[]> {
    return this.list.all(limit).map((r) => ({
      eventId: r.event_id, roomId: r.room_id, event: JSON.parse(r.event) as Record<string, unknown>, reason: r.reason, heldAt: r.held_at,
    }));
  }

  async count(): Promise<number> {
    return (this.total.get() as { n: number }).n;
  }

  async release(eventId: string): Promise<boolean> {
    return this.remove.run(eventId).changes > 0;
  }
}
