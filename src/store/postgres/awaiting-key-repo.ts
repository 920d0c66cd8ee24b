/** PostgreSQL repository of encrypted events waiting for their room key (migration 14; the
 *  rules are ../sqlite/awaiting-key-repo.ts's). */
import type { AwaitingKeyEvent } from '../awaiting-key-repositories';
import type { AwaitingKeyRepository } from '../awaiting-key-repositories';
import { all, changed, count, type Sql } from './sql';

type Row = { event_id: string; room_id: string; event: string; reason: string; held_at: number };

export class PostgresAwaitingKeys implements AwaitingKeyRepository {
  constructor(private readonly sql: Sql) {}

  async hold(e: AwaitingKeyEvent): Promise<boolean> {
    return (await changed(this.sql.query(
      'INSERT INTO events_awaiting_keys (event_id, room_id, event, reason, held_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [e.eventId, e.roomId, JSON.stringify(e.event), e.reason, e.heldAt],
    ))) > 0;
  }

  async oldest(limit: number): Promise<AwaitingKeyEvent[]> {
    const rows = await all(this.sql.query<Row>(
      'SELECT event_id, room_id, event, reason, held_at FROM events_awaiting_keys ORDER BY held_at, seq LIMIT $1', [limit],
    ));
    return rows.map((r) => ({
      eventId: r.event_id, roomId: r.room_id, event: JSON.parse(r.event) as Record<string, unknown>, reason: r.reason, heldAt: r.held_at,
    }));
  }

  count(): Promise<number> {
    return count(this.sql.query('SELECT COUNT(*) AS n FROM events_awaiting_keys'));
  }

  async release(eventId: string): Promise<boolean> {
    return (await changed(this.sql.query('DELETE FROM events_awaiting_keys WHERE event_id = $1', [eventId]))) > 0;
  }
}
