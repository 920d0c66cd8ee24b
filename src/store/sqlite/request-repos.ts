/** SQLite repository of message requests, what they hold and what was dropped past the caps. */
import type Database from 'better-sqlite3';
import type { HeldRequestMessage, MessageRequest, RequestDrops, RequestNoticeState, RequestRepository } from '../request-repositories';

interface RequestRow {
  owner: string; contact: string; provider: string; e2ee: number; encrypted: number; first_at: number; notice: RequestNoticeState; unreadable: number;
}
const requestOf = (r: RequestRow): MessageRequest => ({
  owner: r.owner, contact: r.contact, provider: r.provider, e2ee: r.e2ee === 1, encrypted: r.encrypted === 1,
  firstAt: r.first_at, notice: r.notice, unreadable: r.unreadable,
});

export class SqliteRequests implements RequestRepository {
  constructor(private readonly db: Database.Database) {}

  async get(owner: string, contact: string): Promise<MessageRequest | undefined> {
    const row = this.db.prepare<[string, string], RequestRow>('SELECT * FROM message_requests WHERE owner = ? AND contact = ?').get(owner, contact);
    return row && requestOf(row);
  }

  async list(owner: string): Promise<Array<MessageRequest & { held: number }>> {
    return this.db
      .prepare<[string], RequestRow & { held: number }>(
        `SELECT r.*, (SELECT COUNT(*) FROM request_messages m WHERE m.owner = r.owner AND m.contact = r.contact) AS held
           FROM message_requests r WHERE r.owner = ? ORDER BY r.first_at, r.contact`,
      )
      .all(owner)
      .map((r) => ({ ...requestOf(r), held: r.held }));
  }

  async open(request: Omit<MessageRequest, 'unreadable'>): Promise<MessageRequest> {
    this.db
      .prepare('INSERT OR IGNORE INTO message_requests (owner, contact, provider, e2ee, encrypted, first_at, notice) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(request.owner, request.contact, request.provider, request.e2ee ? 1 : 0, request.encrypted ? 1 : 0, request.firstAt, request.notice);
    return (await this.get(request.owner, request.contact)) as MessageRequest;
  }

  async setNotice(owner: string, contact: string, notice: RequestNoticeState): Promise<void> {
    this.db.prepare('UPDATE message_requests SET notice = ? WHERE owner = ? AND contact = ?').run(notice, owner, contact);
  }

  async hold(owner: string, contact: string, remoteId: string, sealed: string): Promise<boolean> {
    return this.db
      .prepare('INSERT OR IGNORE INTO request_messages (owner, contact, remote_id, message, held_at) VALUES (?, ?, ?, ?, ?)')
      .run(owner, contact, remoteId, sealed, Date.now()).changes > 0;
  }

  async isHeld(owner: string, contact: string, remoteId: string): Promise<boolean> {
    return this.db
      .prepare<[string, string, string], { one: number }>('SELECT 1 AS one FROM request_messages WHERE owner = ? AND contact = ? AND remote_id = ?')
      .get(owner, contact, remoteId) !== undefined;
  }

  async held(owner: string, contact: string): Promise<HeldRequestMessage[]> {
    return this.db
      .prepare<[string, string], { id: number; remote_id: string; message: string }>(
        'SELECT id, remote_id, message FROM request_messages WHERE owner = ? AND contact = ? ORDER BY id',
      )
      .all(owner, contact)
      .map((r) => ({ id: r.id, remoteId: r.remote_id, sealed: r.message }));
  }

  async heldCount(owner: string, contact: string): Promise<number> {
    return (this.db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM request_messages WHERE owner = ? AND contact = ?').get(owner, contact) as { n: number }).n;
  }

  async heldTotal(owner: string): Promise<number> {
    return (this.db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM request_messages WHERE owner = ?').get(owner) as { n: number }).n;
  }

  async release(id: number): Promise<void> {
    this.db.prepare('DELETE FROM request_messages WHERE id = ?').run(id);
  }

  async countUnreadable(owner: string, contact: string): Promise<void> {
    this.db.prepare('UPDATE message_requests SET unreadable = unreadable + 1 WHERE owner = ? AND contact = ?').run(owner, contact);
  }

  async close(owner: string, contact: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM message_requests WHERE owner = ? AND contact = ?').run(owner, contact).changes > 0;
  }

  async recordDrop(owner: string, contact: string): Promise<void> {
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO request_drops (owner, contact, messages, first_at, last_at) VALUES (?, ?, 1, ?, ?)
           ON CONFLICT (owner, contact) DO UPDATE SET messages = messages + 1, last_at = excluded.last_at`,
      )
      .run(owner, contact, now, now);
  }

  async drops(owner: string): Promise<RequestDrops | undefined> {
    const rows = this.db
      .prepare<[string], { contact: string; messages: number; first_at: number; last_at: number }>('SELECT * FROM request_drops WHERE owner = ?')
      .all(owner);
    if (rows.length === 0) return undefined;
    return {
      messages: rows.reduce((n, r) => n + r.messages, 0),
      numbers: rows.length,
      firstAt: Math.min(...rows.map((r) => r.first_at)),
      lastAt: Math.max(...rows.map((r) => r.last_at)),
      byContact: new Map(rows.map((r) => [r.contact, r.messages])),
    };
  }

  async clearDrops(owner: string, reported: ReadonlyMap<string, number>): Promise<void> {
    const subtract = this.db.prepare('UPDATE request_drops SET messages = messages - ? WHERE owner = ? AND contact = ?');
    this.db.transaction(() => {
      for (const [contact, messages] of reported) subtract.run(messages, owner, contact);
      this.db.prepare('DELETE FROM request_drops WHERE owner = ? AND messages <= 0').run(owner);
    })();
  }

  async ownersWithDrops(): Promise<string[]> {
    return this.db.prepare<[], { owner: string }>('SELECT DISTINCT owner FROM request_drops ORDER BY owner').all().map((r) => r.owner);
  }
}
