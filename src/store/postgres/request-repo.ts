/** PostgreSQL repository of message requests, what they hold and what was dropped past the
 *  caps (the rules are ../sqlite/request-repos.ts's). */
import type { HeldRequestMessage, MessageRequest, RequestDrops, RequestNoticeState } from '../request-repositories';
import type { RequestRepository } from '../request-repositories';
import { all, changed, count, one, type Sql } from './sql';

type RequestRow = {
  owner: string; contact: string; provider: string; e2ee: boolean; encrypted: boolean; first_at: number; notice: RequestNoticeState; unreadable: number;
};
const requestOf = (r: RequestRow): MessageRequest => ({
  owner: r.owner, contact: r.contact, provider: r.provider, e2ee: r.e2ee, encrypted: r.encrypted,
  firstAt: r.first_at, notice: r.notice, unreadable: r.unreadable,
});

export class PostgresRequests implements RequestRepository {
  constructor(private readonly sql: Sql) {}

  async get(owner: string, contact: string): Promise<MessageRequest | undefined> {
    const row = await one(this.sql.query<RequestRow>('SELECT * FROM message_requests WHERE owner = $1 AND contact = $2', [owner, contact]));
    return row && requestOf(row);
  }

  async list(owner: string): Promise<Array<MessageRequest & { held: number }>> {
    const rows = await all(this.sql.query<RequestRow & { held: number }>(
      `SELECT r.*, (SELECT COUNT(*) FROM request_messages m WHERE m.owner = r.owner AND m.contact = r.contact) AS held
         FROM message_requests r WHERE r.owner = $1 ORDER BY r.first_at, r.contact COLLATE "C"`,
      [owner],
    ));
    return rows.map((r) => ({ ...requestOf(r), held: r.held }));
  }

  async open(request: Omit<MessageRequest, 'unreadable'>): Promise<MessageRequest> {
    await this.sql.query(
      `INSERT INTO message_requests (owner, contact, provider, e2ee, encrypted, first_at, notice) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT DO NOTHING`,
      [request.owner, request.contact, request.provider, request.e2ee, request.encrypted, request.firstAt, request.notice],
    );
    return (await this.get(request.owner, request.contact)) as MessageRequest;
  }

  async setNotice(owner: string, contact: string, notice: RequestNoticeState): Promise<void> {
    await this.sql.query('UPDATE message_requests SET notice = $1 WHERE owner = $2 AND contact = $3', [notice, owner, contact]);
  }

  async hold(owner: string, contact: string, remoteId: string, sealed: string): Promise<boolean> {
    return (await changed(this.sql.query(
      'INSERT INTO request_messages (owner, contact, remote_id, message, held_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [owner, contact, remoteId, sealed, Date.now()],
    ))) > 0;
  }

  async isHeld(owner: string, contact: string, remoteId: string): Promise<boolean> {
    return (await one(this.sql.query('SELECT 1 FROM request_messages WHERE owner = $1 AND contact = $2 AND remote_id = $3', [owner, contact, remoteId]))) !== undefined;
  }

  async held(owner: string, contact: string): Promise<HeldRequestMessage[]> {
    const rows = await all(this.sql.query<{ id: number; remote_id: string; message: string }>(
      'SELECT id, remote_id, message FROM request_messages WHERE owner = $1 AND contact = $2 ORDER BY id', [owner, contact],
    ));
    return rows.map((r) => ({ id: r.id, remoteId: r.remote_id, sealed: r.message }));
  }

  heldCount(owner: string, contact: string): Promise<number> {
    return count(this.sql.query('SELECT COUNT(*) AS n FROM request_messages WHERE owner = $1 AND contact = $2', [owner, contact]));
  }

  heldTotal(owner: string): Promise<number> {
    return count(this.sql.query('SELECT COUNT(*) AS n FROM request_messages WHERE owner = $1', [owner]));
  }

  async release(id: number): Promise<void> {
    await this.sql.query('DELETE FROM request_messages WHERE id = $1', [id]);
  }

  async countUnreadable(owner: string, contact: string): Promise<void> {
    await this.sql.query('UPDATE message_requests SET unreadable = unreadable + 1 WHERE owner = $1 AND contact = $2', [owner, contact]);
  }

  async close(owner: string, contact: string): Promise<boolean> {
    return (await changed(this.sql.query('DELETE FROM message_requests WHERE owner = $1 AND contact = $2', [owner, contact]))) > 0;
  }

  async recordDrop(owner: string, contact: string): Promise<void> {
    const now = Date.now();
    await this.sql.query(
      `INSERT INTO request_drops (owner, contact, messages, first_at, last_at) VALUES ($1, $2, 1, $3, $4)
       ON CONFLICT (owner, contact) DO UPDATE SET messages = request_drops.messages + 1, last_at = excluded.last_at`,
      [owner, contact, now, now],
    );
  }

  async drops(owner: string): Promise<RequestDrops | undefined> {
    const rows = await all(this.sql.query<{ contact: string; messages: number; first_at: number; last_at: number }>(
      'SELECT contact, messages, first_at, last_at FROM request_drops WHERE owner = $1 ORDER BY contact COLLATE "C"', [owner],
    ));
    if (rows.length === 0) return undefined;
    return {
      messages: rows.reduce((n, r) => n + r.messages, 0),
      numbers: rows.length,
      firstAt: Math.min(...rows.map((r) => r.first_at)),
      lastAt: Math.max(...rows.map((r) => r.last_at)),
      byContact: new Map(rows.map((r) => [r.contact, r.messages])),
    };
  }

  clearDrops(owner: string, reported: ReadonlyMap<string, number>): Promise<void> {
    return this.sql.transaction(async (sql) => {
      for (const [contact, messages] of reported) {
        await sql.query('UPDATE request_drops SET messages = messages - $1 WHERE owner = $2 AND contact = $3', [messages, owner, contact]);
      }
      await sql.query('DELETE FROM request_drops WHERE owner = $1 AND messages <= 0', [owner]);
    });
  }

  async ownersWithDrops(): Promise<string[]> {
    return (await all(this.sql.query<{ owner: string }>('SELECT owner FROM request_drops GROUP BY owner ORDER BY owner COLLATE "C"'))).map((r) => r.owner);
  }
}
